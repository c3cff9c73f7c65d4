export { InProcessCoordinator } from './in-process/in-process-coordinator.js';
export { InProcessHub } from './in-process/in-process-hub.js';
export { ZooKeeperCoordinator } from './zookeeper/zookeeper-coordinator.js';
export type { ZooKeeperCoordinatorOptions } from './zookeeper/zookeeper-coordinator.js';
export { parseConnectionString } from './zookeeper/connection-string.js';
export type { ParsedConnectionString } from './zookeeper/connection-string.js';
export { CoordinationErrorCode } from './errors.js';
