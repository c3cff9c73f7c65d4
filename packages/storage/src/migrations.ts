import { Migrator } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely';
import type { DatabaseProfile } from './database-profile.js';
import { StorageErrorCode, storageError } from './errors.js';
import { directory, executions, jobChanges, jobs } from './migrations/first-steps.js';
import {
  alerts,
  dispatchTimeout,
  onClientLost,
  sessions,
  usernameKeys,
} from './migrations/later-steps.js';
import { routingRetries } from './migrations/routing-retries.js';
import { serverBeats } from './migrations/server-beats.js';
import { sharding } from './migrations/sharding.js';
import type { AnyDb } from './migrations/schema-builders.js';

/** The table where applied migrations are recorded. */
export const MIGRATION_TABLE = 'carillon_migration';

/** What {@link migrateToLatest} did. */
export interface MigrationOutcome {
  /** Names of the migrations this call applied, in order (empty when up to date). */
  readonly applied: readonly string[];
}

/**
 * The migrations, in code (no files on disk), named so that they sort in order. Add new steps
 * at the end; never change one that has shipped.
 */
export function carillonMigrations(profile: DatabaseProfile): Readonly<Record<string, Migration>> {
  return {
    '0001_directory': directory(profile),
    '0002_jobs': jobs(profile),
    '0003_executions': executions(profile),
    '0004_job_changes': jobChanges(profile),
    '0005_username_keys': usernameKeys(profile),
    '0006_dispatch_timeout': dispatchTimeout(profile),
    '0008_sessions': sessions(profile),
    '0010_alerts': alerts(profile),
    '0011_on_client_lost': onClientLost(profile),
    '0012_routing_retries': routingRetries(profile),
    '0013_sharding': sharding(profile),
    '0014_server_beats': serverBeats(profile),
  };
}

/**
 * Brings the schema up to date. Safe when several processes migrate at once: Kysely's
 * Migrator serializes them with the profile's migration lock (the others wait, then find
 * nothing left to do).
 *
 * @throws CarillonError `CARILLON_STORAGE_MIGRATION_FAILED` with the database's error as cause.
 */
export async function migrateToLatest(
  db: AnyDb,
  profile: DatabaseProfile,
): Promise<MigrationOutcome> {
  const provider: MigrationProvider = {
    getMigrations: () => Promise.resolve(carillonMigrations(profile)),
  };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'setup';
    throw storageError(
      StorageErrorCode.MigrationFailed,
      `migration ${failed} failed on ${profile.label}`,
      error,
      { migration: failed },
    );
  }
  return {
    applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName),
  };
}
