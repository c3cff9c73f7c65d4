import { CompiledQuery } from 'kysely';
import type { DatabaseProfile } from './database-profile.js';
import { BYTES_PER_WRITE, ROWS_PER_WRITE, sizeOf, valuesTable } from './grouped-update.js';
import { chunkBySize, placeholders } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';

/** A change as a fenced write sees it: an execution's or a subtask's. */
export interface FencedChange {
  readonly fence: {
    readonly id: string;
    readonly from: readonly string[];
    readonly ownerServerId: string;
    readonly attempt: number;
    readonly clientId?: string;
  };
}

/** The fence's values, as named in the values table. */
type FenceName = 'f_attempt' | 'f_owner' | 'f_client';

/**
 * What a fenced write updates: the table `t`, and the column each fence value is compared with,
 * on `t` or on its execution `e` (joined by `t.execution_id` when `joinsExecution`).
 */
export interface FencedTarget {
  readonly table: 'executions' | 'subtasks';
  readonly conditions: Readonly<Record<FenceName, string>>;
  readonly joinsExecution: boolean;
}

/** Subtasks: a subtask's owner is its execution's. */
export const FENCED_SUBTASKS: FencedTarget = Object.freeze({
  table: 'subtasks',
  conditions: Object.freeze({
    f_attempt: 't.attempt',
    f_owner: 'e.owner_server_id',
    f_client: 't.client_id',
  }),
  joinsExecution: true,
});

/** Executions: every fence value is the row's own. */
export const FENCED_EXECUTIONS: FencedTarget = Object.freeze({
  table: 'executions',
  conditions: Object.freeze({
    f_attempt: 't.attempt',
    f_owner: 't.owner_server_id',
    f_client: 't.client_id',
  }),
  joinsExecution: false,
});

/** One change as a row of the values table: the fence's values, then the columns it sets. */
interface FencedRow {
  readonly id: string;
  readonly values: ReadonlyMap<string, unknown>;
}

/**
 * Writes changes of distinct rows of `target` with their fences in the UPDATEs' own WHERE:
 * state in `from`, attempt, client (when the fence names one), and the owner (the execution's,
 * joined, for a subtask). One statement per group of changes with the same shape instead of a
 * locked read of every row and then an UPDATE: on MariaDB the read and its locks cost the
 * server about as much as the write. Returns true when every change matched its row (then all
 * of them applied); false when some did not, and then some others may have applied: the caller
 * tells each change's fate on the careful path (`alreadyApplied`), after rolling back to a
 * savepoint (subtasks) or, outside a transaction, recognising the rows written (executions).
 *
 * Inside a transaction the fence is as strong as the locked read's. The UPDATE locks each row
 * it reads for update, and on MySQL/MariaDB, being a multi-table UPDATE (not a SELECT), reads a
 * joined execution with InnoDB's shared locking read, held to commit: an adoption, which takes
 * the execution's row exclusively, waits for this transaction (tested under the default
 * REPEATABLE READ, in subtask-fenced-writes.test.ts). SQLite's immediate transaction holds the
 * whole database. Without a transaction each statement commits alone, and each row's fence and
 * write are still one compare-and-set. A matched row counts whether or not its values changed
 * (mysql2 asks for found rows; SQLite counts a row updated to the values it had); were it
 * counted only when changed, a shortfall would just send the batch to the careful path.
 * Within a group the rows go in id order, so that two writers lock rows in one order.
 */
export async function writeFenced(
  db: Db,
  profile: DatabaseProfile,
  target: FencedTarget,
  changes: readonly FencedChange[],
  sets: readonly object[],
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
    rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const runs = chunkBySize(rows, ROWS_PER_WRITE, BYTES_PER_WRITE, (row) => {
      let bytes = 64;
      for (const value of row.values.values()) bytes += sizeOf(value);
      return bytes;
    });
    for (const run of runs) {
      const result = await db.executeQuery(updateOf(profile, target, from, run));
      if (Number(result.numAffectedRows ?? 0n) !== run.length) return false;
    }
  }
  return true;
}

/**
 * The UPDATE of one run of changes of one shape. A value the same for every row of the run is
 * bound once; the others come from the table of values `v`, one row per changed row. Column names
 * are the schema's own (keys of the checked sets) or the fence's above, never input.
 */
function updateOf(
  profile: DatabaseProfile,
  target: FencedTarget,
  from: readonly string[],
  run: readonly FencedRow[],
) {
  const conditions: Readonly<Record<string, string>> = target.conditions;
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
  const setNames = names.filter((name) => !(name in conditions));
  const fenceNames = names.filter((name) => name in conditions);
  const values = valuesTable(profile, differing, run.length);
  const byRow = run.flatMap((row) => [row.id, ...differing.map((name) => row.values.get(name))]);
  const where = [
    `t.state in (${placeholders(from.length)})`,
    ...fenceNames.map((name) => `${conditions[name]!} = ${ref(name)}`),
  ].join(' and ');
  const whereParams = [...from, ...fixed(fenceNames)];
  const { table, joinsExecution } = target;
  if (profile.updateFrom === 'join') {
    // The join order is forced: values, then each row by id, then its execution by id. Left
    // to itself, MariaDB went from the execution (by its owner) to all of its subtasks (by
    // position), which made each UPDATE cost as much as the execution's size.
    const execution = joinsExecution
      ? ' straight_join executions e force index (primary) on e.id = t.execution_id'
      : '';
    const assigned = setNames.map((name) => `t.${name} = ${ref(name)}`).join(', ');
    return CompiledQuery.raw(
      `update ${values} v straight_join ${table} t force index (primary) on t.id = v.id${execution} set ${assigned} where ${where}`,
      [...byRow, ...fixed(setNames), ...whereParams],
    );
  }
  // SQLite: the join's conditions go in the WHERE (its FROM cannot name the target).
  const assigned = setNames.map((name) => `${name} = ${ref(name)}`).join(', ');
  const execution = joinsExecution ? ', executions e' : '';
  const joined = joinsExecution ? ' and e.id = t.execution_id' : '';
  return CompiledQuery.raw(
    `update ${table} as t set ${assigned} from ${values} as v${execution} where t.id = v.id${joined} and ${where}`,
    [...fixed(setNames), ...byRow, ...whereParams],
  );
}
