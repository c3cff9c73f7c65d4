import { CompiledQuery, sql } from 'kysely';
import type { Updateable } from 'kysely';
import type { SubtaskChange } from '@carillon/core';
import type { DatabaseProfile } from './database-profile.js';
import type { SubtasksTable } from './schema.js';
import { FENCED_SUBTASKS, writeFenced } from './fenced-update.js';
import { writeRowsById } from './grouped-update.js';
import { chunk, placeholders, toInt } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';

/** Subtasks read (and locked) per statement. */
const IDS_PER_READ = 1000;

/** Where a batch's fenced UPDATEs start, to undo them when one change's fence failed. */
const SAVEPOINT = 'subtask_changes';

type Columns = Updateable<SubtasksTable>;

/** A subtask as read for its fence. */
interface Row {
  readonly id: string;
  readonly state: string;
  readonly attempt: unknown;
  readonly clientId: string | null;
}

/** What a fence is checked against: a subtask's state and attempt, and its execution's owner. */
interface Current {
  state: string;
  attempt: number;
  clientId: string | null;
  readonly owner: string | null;
}

/**
 * Applies fenced subtask changes inside the caller's transaction with a few statements for the
 * whole batch instead of one fenced UPDATE per change (each of which Kysely builds and compiles
 * anew, and MySQL answers in a round trip). Changes of distinct subtasks go first through
 * {@link writeFenced}, the fences in the UPDATEs; only when one of them fails (or a subtask has
 * two changes in the batch) does it take the careful path: a read of the subtasks and their executions'
 * owners (two where rows lock, see {@link readLocked}; SQLite's immediate transaction holds the
 * whole database), the fences checked here in the order given (a change sees the ones before
 * it), then one UPDATE per group of rows that set the same columns (see {@link writeRowsById}).
 * The reads are SQL written here, as the writes are: Kysely's compiler walked a node per id.
 * Returns, per change, whether it applied. `sets` are the checked columns of each change.
 */
export async function applySubtaskChanges(
  trx: Db,
  profile: DatabaseProfile,
  changes: readonly SubtaskChange[],
  sets: readonly Columns[],
): Promise<boolean[]> {
  const ids = [...new Set(changes.map((c) => c.fence.id))];
  // Changes of distinct subtasks whose fences all hold, the usual batch, need no read: their
  // fences go in the UPDATEs (see writeFenced). A batch where one fails is undone and read.
  if (ids.length === changes.length) {
    await trx.executeQuery(CompiledQuery.raw(`savepoint ${SAVEPOINT}`));
    if (await writeFenced(trx, profile, FENCED_SUBTASKS, changes, sets))
      return changes.map(() => true);
    await trx.executeQuery(CompiledQuery.raw(`rollback to savepoint ${SAVEPOINT}`));
  }
  const current = new Map<string, Current>();
  for (const some of chunk(ids, IDS_PER_READ)) {
    if (profile.supportsRowLocks) {
      for (const [id, row] of await readLocked(trx, some)) current.set(id, row);
      continue;
    }
    // SQLite: its immediate transaction holds the whole database, so a plain read is enough.
    const { rows } = await trx.executeQuery<Row & { owner: string | null }>(
      CompiledQuery.raw(
        `select s.id, s.state, s.attempt, s.client_id as clientId, e.owner_server_id as owner
        from subtasks s join executions e on e.id = s.execution_id
        where s.id in (${placeholders(some.length)})`,
        some,
      ),
    );
    for (const row of rows)
      current.set(row.id, {
        state: row.state,
        attempt: toInt(row.attempt),
        clientId: row.clientId,
        owner: row.owner,
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
      (fence.clientId === undefined || row.clientId === fence.clientId) &&
      row.owner === fence.ownerServerId;
    const set = sets[i]!;
    applied.push(ok || (row !== undefined && alreadyApplied(change, set, row)));
    if (!ok) return;
    row.state = change.state;
    if (set.attempt !== undefined) row.attempt = Number(set.attempt);
    if (set.client_id !== undefined) row.clientId = set.client_id;
    finals.set(fence.id, { ...finals.get(fence.id), ...set });
  });
  await writeRowsById(trx, profile, 'subtasks', finals);
  return applied;
}

/**
 * True when a change whose fence did not hold had been applied already: the subtask is in the
 * change's target state, at the attempt (and on the client) it leaves, under the fence's owner.
 * Only that owner at that attempt writes the row, so it was this change, committed by an
 * earlier try whose reply was lost (a connection killed during the commit); the caller trying
 * it again must not take that for a lost fence. A change that keeps the state is never taken
 * as applied.
 */
function alreadyApplied(change: SubtaskChange, set: Columns, row: Current): boolean {
  const { fence, state } = change;
  if (fence.from.includes(state)) return false;
  return (
    row.state === state &&
    row.owner === fence.ownerServerId &&
    row.attempt === (set.attempt === undefined ? fence.attempt : Number(set.attempt)) &&
    (set.client_id === undefined || row.clientId === set.client_id)
  );
}

/**
 * Reads the subtasks `ids` locked for update, and their executions' owners under a shared
 * lock: the fences hold until commit (an adoption, the owner's compare-and-set on the
 * execution, waits for it), while batches of other subtasks of the same execution run side by
 * side (one read that locked both, `FOR UPDATE` over the join, took the execution's row
 * exclusively and made every batch of a fan-out wait for the one before). The subtasks are
 * locked first, then the executions; nothing locks them the other way round in one
 * transaction (an adoption locks only the execution).
 */
async function readLocked(trx: Db, ids: readonly string[]): Promise<Map<string, Current>> {
  const { rows: subtasks } = await trx.executeQuery<Row & { executionId: string }>(
    CompiledQuery.raw(
      `select id, state, attempt, client_id as clientId, execution_id as executionId
      from subtasks where id in (${placeholders(ids.length)}) for update`,
      [...ids],
    ),
  );
  const executionIds = [...new Set(subtasks.map((row) => row.executionId))];
  const owners = new Map<string, string | null>();
  if (executionIds.length > 0) {
    const executions = await trx
      .selectFrom('executions')
      .select(['id', 'owner_server_id as owner'])
      .where('id', 'in', executionIds)
      // MariaDB and MySQL both spell it so (MariaDB has no `FOR SHARE`).
      .modifyEnd(sql`lock in share mode`)
      .execute();
    for (const row of executions) owners.set(row.id, row.owner);
  }
  const current = new Map<string, Current>();
  for (const row of subtasks)
    current.set(row.id, {
      state: row.state,
      attempt: toInt(row.attempt),
      clientId: row.clientId,
      owner: owners.get(row.executionId) ?? null,
    });
  return current;
}
