import type { Logger } from '@carillon/core';

/**
 * Coordinator options to spread: with `CARILLON_TEST_LOG` set, `{ logger }` printing each line
 * with the time, `id` (which coordinator of the test) and level, to follow sessions through a
 * failing test; without it `{}`, the coordinator's silent default.
 */
export function testLogging(id: number): { logger?: Logger } {
  if (process.env['CARILLON_TEST_LOG'] === undefined) return {};
  const line =
    (level: string) =>
    (fields: object, message?: string): void =>
      console.log(Date.now() % 100_000, id, level, message, JSON.stringify(fields));
  const logger: Logger = {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: () => logger,
  };
  return { logger };
}
