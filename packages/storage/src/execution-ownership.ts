import { ExecutionState, UNFINISHED_STATES } from '@carillon/core';
import type { DatabaseProfile } from './database-profile.js';
import type { ExecutionRow } from './execution-rows.js';
import { inTransaction } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';

/**
 * Gives the unowned `claimed` executions of `jobIds` to `serverId` and returns the rows this
 * call took, as they are after it. Of two concurrent callers, each row goes to exactly one.
 */
export function takeUnownedRows(
  db: Db,
  profile: DatabaseProfile,
  serverId: string,
  jobIds: readonly number[],
): Promise<ExecutionRow[]> {
  if (jobIds.length === 0) return Promise.resolve([]);
  if (profile.supportsUpdateReturning) {
    return db
      .updateTable('executions')
      .set({ owner_server_id: serverId })
      .where('owner_server_id', 'is', null)
      .where('state', '=', ExecutionState.Claimed)
      .where('job_id', 'in', jobIds)
      .returningAll()
      .execute();
  }
  // Without RETURNING: lock the unowned rows, then own exactly those. SKIP LOCKED lets two
  // servers split the rows instead of one waiting for the other.
  return inTransaction(db, async (trx) => {
    let query = trx
      .selectFrom('executions')
      .select('id')
      .where('owner_server_id', 'is', null)
      .where('state', '=', ExecutionState.Claimed)
      .where('job_id', 'in', jobIds)
      .orderBy('id')
      .forUpdate();
    if (profile.supportsSkipLocked) query = query.skipLocked();
    const ids = (await query.execute()).map((r) => r.id);
    if (ids.length === 0) return [];
    await trx
      .updateTable('executions')
      .set({ owner_server_id: serverId })
      .where('id', 'in', ids)
      .execute();
    return trx.selectFrom('executions').selectAll().where('id', 'in', ids).execute();
  });
}

/**
 * Moves the unfinished executions of `dead` (of `jobIds`, or all) to `next` as `claimed` at
 * attempt + 1, and returns the rows this call moved, as they are after it.
 */
export function adoptOrphanRows(
  db: Db,
  profile: DatabaseProfile,
  dead: string,
  next: string,
  jobIds: readonly number[] | undefined,
  claimedIds?: readonly string[],
): Promise<ExecutionRow[]> {
  if (jobIds !== undefined && jobIds.length === 0) return Promise.resolve([]);
  if (claimedIds !== undefined && claimedIds.length === 0) return Promise.resolve([]);
  const states = claimedIds === undefined ? UNFINISHED_STATES : [ExecutionState.Claimed];
  const takeover = (on: Db) => {
    let query = on
      .updateTable('executions')
      .set((eb) => ({
        owner_server_id: next,
        state: ExecutionState.Claimed,
        attempt: eb('attempt', '+', 1),
      }))
      .where('owner_server_id', '=', dead)
      .where('state', 'in', states);
    if (jobIds !== undefined) query = query.where('job_id', 'in', jobIds);
    if (claimedIds !== undefined) query = query.where('id', 'in', claimedIds);
    return query;
  };
  if (profile.supportsUpdateReturning) return takeover(db).returningAll().execute();
  // Without RETURNING: lock the orphans (waiting, not skipping: a skipped row would stay
  // orphaned), move them, and read them back inside the same transaction.
  return inTransaction(db, async (trx) => {
    let query = trx
      .selectFrom('executions')
      .select('id')
      .where('owner_server_id', '=', dead)
      .where('state', 'in', states);
    if (jobIds !== undefined) query = query.where('job_id', 'in', jobIds);
    if (claimedIds !== undefined) query = query.where('id', 'in', claimedIds);
    const ids = (await query.orderBy('id').forUpdate().execute()).map((r) => r.id);
    if (ids.length === 0) return [];
    await takeover(trx).where('id', 'in', ids).execute();
    return trx.selectFrom('executions').selectAll().where('id', 'in', ids).execute();
  });
}

const IN_FLIGHT = [ExecutionState.Dispatched, ExecutionState.Running];

/**
 * Moves the in-flight executions `ids` of `dead` to `next`, attempt and state unchanged, and
 * returns those of `ids` that `next` holds in flight after it (see
 * `ExecutionStore.adoptInFlight`). Of two concurrent callers, each row goes to one (the
 * statement is the compare-and-set). No transaction around the two statements: between them,
 * only `next` could change rows it owns, and it has not taken them yet.
 */
export async function adoptInFlightRows(
  db: Db,
  dead: string,
  next: string,
  ids: readonly string[],
): Promise<ExecutionRow[]> {
  if (ids.length === 0) return [];
  await db
    .updateTable('executions')
    .set({ owner_server_id: next })
    .where('owner_server_id', '=', dead)
    .where('state', 'in', IN_FLIGHT)
    .where('id', 'in', ids)
    .execute();
  return db
    .selectFrom('executions')
    .selectAll()
    .where('owner_server_id', '=', next)
    .where('state', 'in', IN_FLIGHT)
    .where('id', 'in', ids)
    .execute();
}
