export { CarillonServer } from './server.js';
export type { ServerState } from './server.js';
export type { ServerOptions } from './server-options.js';
export { ServerEventBus } from './events.js';
export type { ServerEvents } from './events.js';
