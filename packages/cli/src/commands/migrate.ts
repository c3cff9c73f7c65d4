import {
  StorageErrorCode,
  createDatabaseIfMissing,
  isMissingDatabase,
  isTransientDatabaseError,
  migrateDatabase,
} from '@carillon/storage';
import { CarillonError } from '@carillon/core';
import { readCommonConfig } from '../config/config.js';
import { wantsHelp } from '../config/flags.js';
import type { CommandIo } from '../io.js';
import { ExitCode } from '../io.js';
import { createLogger } from '../logger.js';
import { prepareSqliteFile } from '../private-files.js';
import { untilReachable } from '../start-wait.js';
import { MIGRATE_USAGE } from './usage.js';

/**
 * `carillon migrate`: brings the database named by CARILLON_DB_URL up to date, then exits. A
 * MySQL database that does not exist is created when the user may; when not, the statement an
 * administrator runs is printed and the exit code is 1.
 */
export async function runMigrateCommand(args: string[], io: CommandIo): Promise<number> {
  if (wantsHelp(args)) {
    io.stdout.write(MIGRATE_USAGE);
    return ExitCode.Ok;
  }
  const config = readCommonConfig(io.env, args);
  prepareSqliteFile(config.dbUrl);
  const wait = { waitMs: config.startWaitMs, logger: createLogger(config.logLevel, io.stdout) };
  const migrate = () =>
    untilReachable(
      'the database',
      () => migrateDatabase({ url: config.dbUrl }),
      isTransientDatabaseError,
      wait,
    );
  let outcome;
  try {
    outcome = await migrate();
  } catch (error) {
    if (!isMissingDatabase(error)) throw error;
    try {
      await createDatabaseIfMissing(config.dbUrl);
    } catch (refused) {
      if (
        refused instanceof CarillonError &&
        refused.code === StorageErrorCode.CannotCreateDatabase
      ) {
        io.stderr.write(`carillon migrate: ${refused.message}\n`);
        return ExitCode.Failure;
      }
      throw refused;
    }
    io.stdout.write(`created database ${new URL(config.dbUrl).pathname.slice(1)}\n`);
    outcome = await migrate();
  }
  io.stdout.write(
    outcome.applied.length === 0
      ? 'database schema is up to date\n'
      : `applied migrations: ${outcome.applied.join(', ')}\n`,
  );
  return ExitCode.Ok;
}
