export { main } from './main.js';
export { ExitCode } from './io.js';
export type { CommandIo } from './io.js';
