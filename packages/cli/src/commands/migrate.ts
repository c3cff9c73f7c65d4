import { migrateDatabase } from '@carillon/storage';
import { readCommonConfig } from '../config/config.js';
import type { CommandIo } from '../io.js';
import { ExitCode } from '../io.js';

/** `carillon migrate`: brings the database named by CARILLON_DB_URL up to date, then exits. */
export async function runMigrateCommand(_args: string[], io: CommandIo): Promise<number> {
  const config = readCommonConfig(io.env);
  const outcome = await migrateDatabase({ url: config.dbUrl });
  io.stdout.write(
    outcome.applied.length === 0
      ? 'database schema is up to date\n'
      : `applied migrations: ${outcome.applied.join(', ')}\n`,
  );
  return ExitCode.Ok;
}
