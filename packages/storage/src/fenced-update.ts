import { CompiledQuery } from 'kysely';
import type { Updateable } from 'kysely';
import type { SubtaskChange } from '@carillon/core';
import type { DatabaseProfile } from './database-profile.js';
import type { SubtasksTable } from './schema.js';
import { BYTES_PER_WRITE, ROWS_PER_WRITE, valuesTable } from './grouped-update.js';
import { chunkBySize, placeholders } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';

type Columns = Updateable<SubtasksTable>;

/** One change as a row of the values table: the fence's values, then the columns it sets. */
interface FencedRow {
  readonly id: string;
  readonly values: ReadonlyMap<string, unknown>;
}

/**
 * Writes changes of distinct subtasks with their fences in the UPDATEs' own WHERE: state in
 * `from`, attempt, client (when the fence names one), and the execution's owner, joined. One
 * statement per group of changes with the same shape instead of a locked read of every row and
 * then an UPDATE: on MariaDB the read and its locks cost the server about as much as the write.
 * Returns true when every change matched its row (then all of them applied); false when some
 * did not, and then some others may have applied: the caller rolls back to before this call
 * (a savepoint) and takes the careful path, which tells each change's fate (`alreadyApplied`).
 *
 * The fence is as strong as the locked read's. The UPDATE locks each subtask it reads for
 * update, and on MySQL/MariaDB, being a multi-table UPDATE (not a SELECT), reads the joined
 * execution with InnoDB's shared locking read, held to commit: an adoption, which takes the
 * execution's row exclusively, waits for this transaction (tested under the default
 * REPEATABLE READ, in subtask-fenced-writes.test.ts). SQLite's immediate transaction holds the
 * whole database. A matched row counts whether or not its values changed (mysql2 asks for
 * found rows; SQLite counts a row updated to the values it had); were it counted only when
 * changed, a shortfall would just send the batch to the careful path.
 */
export async function writeFenced(
  trx: Db,
  profile: DatabaseProfile,
  changes: readonly SubtaskChange[],
  sets: readonly Columns[],
): Promise<boolean> {
  const groups = new Map<string, { from: readonly string[]; rows: FencedRow[] }>();
  changes.forEach((change, i) => {
    const { fence } = change;
    const set = sets[i]!;
    const values = new Map<string, unknown>();
    values.set('f_attempt', fence.attempt);
    values.set('f_owner', fence.ownerServerId);
    if (fence.clientId !== undefined) values.set('f_client', fence.clientId);
    for (const column of Object.keys(set).sort())
      values.set(column, (set as Record<string, unknown>)[column] ?? null);
    const from = [...fence.from].sort();
    const key = `${from.join(',')}|${[...values.keys()].join(',')}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { from, rows: [] };
      groups.set(key, group);
    }
    group.rows.push({ id: fence.id, values });
  });
  for (const { from, rows } of groups.values()) {
    const runs = chunkBySize(rows, ROWS_PER_WRITE, BYTES_PER_WRITE, (row) => {
      let bytes = 64;
      for (const value of row.values.values())
        bytes += typeof value === 'string' ? value.length * 3 : 16;
      return bytes;
    });
    for (const run of runs) {
      const result = await trx.executeQuery(updateOf(profile, from, run));
      if (Number(result.numAffectedRows ?? 0n) !== run.length) return false;
    }
  }
  return true;
}

/** A fence value's condition on the subtask `t` and its execution `e`. */
const FENCE_CONDITIONS: Readonly<Record<string, string>> = {
  f_attempt: 't.attempt',
  f_owner: 'e.owner_server_id',
  f_client: 't.client_id',
};

/**
 * The UPDATE of one run of changes of one shape. A value the same for every row of the run is
 * bound once; the others come from the table of values `v`, one row per subtask. Column names
 * are the schema's own (keys of the checked sets) or the fence's above, never input.
 */
function updateOf(profile: DatabaseProfile, from: readonly string[], run: readonly FencedRow[]) {
  const names = [...run[0]!.values.keys()];
  const same: string[] = [];
  const differing: string[] = [];
  for (const name of names) {
    const first = run[0]!.values.get(name);
    (run.every((row) => row.values.get(name) === first) ? same : differing).push(name);
  }
  const ref = (name: string): string => (same.includes(name) ? '?' : `v.${name}`);
  const fixed = (list: readonly string[]): unknown[] =>
    list.filter((name) => same.includes(name)).map((name) => run[0]!.values.get(name));
  const setNames = names.filter((name) => !(name in FENCE_CONDITIONS));
  const fenceNames = names.filter((name) => name in FENCE_CONDITIONS);
  const table = valuesTable(profile, differing, run.length);
  const byRow = run.flatMap((row) => [row.id, ...differing.map((name) => row.values.get(name))]);
  const where = [
    `t.state in (${placeholders(from.length)})`,
    ...fenceNames.map((name) => `${FENCE_CONDITIONS[name]!} = ${ref(name)}`),
  ].join(' and ');
  const whereParams = [...from, ...fixed(fenceNames)];
  if (profile.updateFrom === 'join') {
    // The join order is forced: values, then each subtask by id, then its execution by id.
    // Left to itself, MariaDB went from the execution (by its owner) to all of its subtasks
    // (by position), which made each UPDATE cost as much as the execution's size.
    const assigned = setNames.map((name) => `t.${name} = ${ref(name)}`).join(', ');
    return CompiledQuery.raw(
      `update ${table} v straight_join subtasks t force index (primary) on t.id = v.id straight_join executions e force index (primary) on e.id = t.execution_id set ${assigned} where ${where}`,
      [...byRow, ...fixed(setNames), ...whereParams],
    );
  }
  // SQLite: the join's conditions go in the WHERE (its FROM cannot name the target).
  const assigned = setNames.map((name) => `${name} = ${ref(name)}`).join(', ');
  return CompiledQuery.raw(
    `update subtasks as t set ${assigned} from ${table} as v, executions e where t.id = v.id and e.id = t.execution_id and ${where}`,
    [...fixed(setNames), ...byRow, ...whereParams],
  );
}
