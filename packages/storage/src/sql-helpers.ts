import type { InsertQueryBuilder, Kysely } from 'kysely';
import { CarillonError, CoreErrorCode } from '@carillon/core';
import type { DatabaseProfile } from './database-profile.js';
import type { Database } from './schema.js';

/** A Kysely handle on the schema: the database, or a transaction on it. */
export type Db = Kysely<Database>;

/**
 * Runs `work` in a transaction, or inside the caller's when `db` is one already (Kysely does
 * not nest transactions).
 */
export function inTransaction<T>(db: Db, work: (trx: Db) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}

/** Makes an insert skip rows whose primary or unique key exists, as the database spells it. */
export function skipDuplicates<DB, TB extends keyof DB, O>(
  query: InsertQueryBuilder<DB, TB, O>,
  profile: DatabaseProfile,
): InsertQueryBuilder<DB, TB, O> {
  return profile.insertIgnore === 'ignore'
    ? query.ignore()
    : query.onConflict((oc) => oc.doNothing());
}

/** `?, ?, …`: `n` bind placeholders, for SQL written without Kysely's builder. */
export function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** Splits `items` into runs of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const runs: T[][] = [];
  for (let i = 0; i < items.length; i += size) runs.push(items.slice(i, i + size));
  return runs;
}

/**
 * Splits `items` into runs of at most `maxRows` whose summed `sizeOf` stays under `maxBytes`
 * (a run always has at least one item), so that no statement outgrows the server's packet limit.
 */
export function chunkBySize<T>(
  items: readonly T[],
  maxRows: number,
  maxBytes: number,
  sizeOf: (item: T) => number,
): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (run.length > 0 && (run.length >= maxRows || bytes + size > maxBytes)) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(item);
    bytes += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/**
 * An integer column as a number. mysql2 (with `supportBigNumbers`) gives BIGINT as a number while
 * it is a safe integer and as a string beyond; aggregates may come as strings or bigints.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` if the value is not a safe integer.
 */
export function toInt(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new CarillonError(CoreErrorCode.InvalidArgument, `not a safe integer: ${String(value)}`);
  }
  return n;
}

/** {@link toInt}, keeping null (and undefined) as null. */
export function toIntOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : toInt(value);
}

/** The affected-row count of an update or delete result as a number. */
export function affected(result: { numUpdatedRows?: bigint; numDeletedRows?: bigint }): number {
  return Number(result.numUpdatedRows ?? result.numDeletedRows ?? 0n);
}
