import type { Updateable } from 'kysely';
import type { ExecutionChange } from '@carillon/core';
import type { DatabaseProfile } from './database-profile.js';
import { FENCED_EXECUTIONS, writeFenced } from './fenced-update.js';
import { writeRowsById } from './grouped-update.js';
import { withRetry } from './retry.js';
import type { ExecutionsTable } from './schema.js';
import { chunk, inTransaction, toInt } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';

/** Executions read (and locked) per statement. */
const IDS_PER_READ = 1000;

type Columns = Updateable<ExecutionsTable>;

/** What a fence is checked against. */
interface Current {
  state: string;
  attempt: number;
  owner: string | null;
  clientId: string | null;
}

/**
 * Applies fenced execution changes and returns, per change, whether it applied (`sets` are the
 * checked columns of each change). The usual batch (a server's dispatches, starts, results)
 * goes in one fenced UPDATE per shape of change, with no transaction (see
 * {@link writeFenced}): one round trip instead of begin, a locked read, the UPDATE and the
 * commit, which under a CPU cap each waited behind the server's busy event loop while the fire
 * they fence waited to be sent.
 *
 * No transaction is needed because each row's fence and write are one compare-and-set, atomic
 * on its own; what the batch as a whole may leave is a part of it written: a statement's
 * shortfall (some fence failed), a later statement not sent, or a connection dropped with no
 * reply. Then the batch goes the careful way, {@link applyExecutionChanges} in a transaction,
 * which takes each change the fast path wrote for applied ({@link alreadyApplied}: the row is
 * in its target state under the same owner at the attempt it leaves) and applies the others
 * whose fence holds, so nothing is written twice and nothing written is called lost. Hence
 * only batches whose every change is so recognisable take the fast path: distinct executions,
 * each change moving to a state outside its fence's `from`, none releasing the owner. A change
 * written fast and then taken over by an adoption before the careful read is reported lost:
 * as for a retried commit, its owner has lost it either way, and the adopter sends it.
 */
export async function transitionExecutions(
  db: Db,
  profile: DatabaseProfile,
  changes: readonly ExecutionChange[],
  sets: readonly Columns[],
): Promise<boolean[]> {
  if (recognisable(changes, sets)) {
    try {
      if (await writeFenced(db, profile, FENCED_EXECUTIONS, changes, sets))
        return changes.map(() => true);
    } catch (error) {
      // In the caller's transaction, the database rolled it all back: the caller must retry.
      if (db.isTransaction || profile.classifyError(error) !== 'transient') throw error;
    }
  }
  // The whole batch is retried after a deadlock: it rolled back, so nothing applied twice.
  return withRetry(db, profile, () =>
    inTransaction(db, (trx) => applyExecutionChanges(trx, profile, changes, sets)),
  );
}

/** True when every change, once written, would be taken for applied by {@link alreadyApplied}. */
function recognisable(changes: readonly ExecutionChange[], sets: readonly Columns[]): boolean {
  const ids = new Set<string>();
  for (let i = 0; i < changes.length; i++) {
    const { fence, state } = changes[i]!;
    if (ids.has(fence.id) || fence.from.includes(state)) return false;
    if (sets[i]!.owner_server_id !== undefined) return false;
    ids.add(fence.id);
  }
  return true;
}

/**
 * Applies fenced execution changes inside the caller's transaction with a few statements for
 * the whole batch instead of one fenced UPDATE per change: a server recording a thousand fires
 * a second makes two or three changes a fire, and one round trip each is what let its writes
 * fall seconds behind its sends on MariaDB. The rows are read once, locked where rows lock
 * (SQLite's immediate transaction holds the whole database), in id order, so two servers'
 * batches take their locks in one order; the fences are checked here in the order given (a
 * change sees the ones before it); then one UPDATE per group of rows setting the same columns.
 * Returns, per change, whether it applied. `sets` are the checked columns of each change.
 */
export async function applyExecutionChanges(
  trx: Db,
  profile: DatabaseProfile,
  changes: readonly ExecutionChange[],
  sets: readonly Columns[],
): Promise<boolean[]> {
  const ids = [...new Set(changes.map((c) => c.fence.id))].sort();
  const current = new Map<string, Current>();
  for (const some of chunk(ids, IDS_PER_READ)) {
    let read = trx
      .selectFrom('executions')
      .select(['id', 'state', 'attempt', 'owner_server_id', 'client_id'])
      .where('id', 'in', some)
      .orderBy('id');
    // The fences hold until commit: an adoption (a compare-and-set on the owner) waits for it.
    if (profile.supportsRowLocks) read = read.forUpdate();
    for (const row of await read.execute())
      current.set(row.id, {
        state: row.state,
        attempt: toInt(row.attempt),
        owner: row.owner_server_id,
        clientId: row.client_id,
      });
  }
  const applied: boolean[] = [];
  const finals = new Map<string, Columns>();
  changes.forEach((change, i) => {
    const { fence } = change;
    const row = current.get(fence.id);
    const ok =
      row !== undefined &&
      fence.from.includes(row.state as never) &&
      row.attempt === fence.attempt &&
      row.owner === fence.ownerServerId &&
      (fence.clientId === undefined || row.clientId === fence.clientId);
    applied.push(ok || (row !== undefined && alreadyApplied(change, row)));
    if (!ok) return;
    const set = sets[i]!;
    row.state = change.state;
    if (set.attempt !== undefined) row.attempt = Number(set.attempt);
    if (set.owner_server_id !== undefined) row.owner = set.owner_server_id;
    if (set.client_id !== undefined) row.clientId = set.client_id;
    // Object.assign, not `{ ...finals.get(id), ...set }`: V8's slow path on Node 20 (3-5 µs a
    // change) for a spread that adds properties.
    const final = finals.get(fence.id);
    if (final === undefined) finals.set(fence.id, Object.assign({}, set));
    else Object.assign(final, set);
  });
  await writeRowsById(trx, profile, 'executions', finals);
  return applied;
}

/**
 * True when a change whose fence did not hold had been applied already: the execution is in the
 * change's target state, at the attempt it leaves, under the fence's owner. Only that owner at
 * that attempt writes the row, so it was this change, committed by an earlier try whose reply
 * was lost (a connection killed during the commit); the caller trying it again must not take
 * that for a lost fence. A change that keeps the state is never taken as applied.
 */
export function alreadyApplied(change: ExecutionChange, row: Omit<Current, 'clientId'>): boolean {
  const { fence, state, patch } = change;
  if (fence.from.includes(state)) return false;
  return (
    row.state === state &&
    row.owner === fence.ownerServerId &&
    row.attempt === (patch?.attempt ?? fence.attempt)
  );
}
