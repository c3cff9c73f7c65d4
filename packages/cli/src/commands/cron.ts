import type { CommandIo } from '../io.js';

// Placeholder until the cron engine lands (being written now).
export function runCronCommand(_args: string[], io: CommandIo): Promise<number> {
  io.stderr.write('cron: not built yet\n');
  return Promise.resolve(1);
}
