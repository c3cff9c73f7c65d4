export { CarillonServer } from './server.js';
export type { ServerHealth, ServerState } from './server.js';
export type { DatabaseStatus } from './database/database-health.js';
export type { ServerOptions } from './server-options.js';
export { ServerEventBus } from './events.js';
export type { ServerEvents } from './events.js';
