export { InProcessCoordinator } from './in-process/in-process-coordinator.js';
export { InProcessHub } from './in-process/in-process-hub.js';
