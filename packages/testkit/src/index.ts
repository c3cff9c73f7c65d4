export { startClientProcess } from './client-process.js';
export type { ClientProcess, ClientProcessEvent } from './client-process.js';
export { freePort } from './free-port.js';
export { startStack } from './stack.js';
export type { Stack, StackOptions } from './stack.js';
export { MYSQL_SERVER_URL, testDatabases } from './test-databases.js';
export type { TestDatabase } from './test-databases.js';
export { waitFor } from './wait-for.js';
