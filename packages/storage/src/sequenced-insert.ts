import { CompiledQuery } from 'kysely';
import type { DatabaseProfile } from './database-profile.js';
import { withRetry } from './retry.js';
import { placeholders, toInt } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';

/** A row to insert under a parent; its `seq` is given by {@link insertSequenced}. */
export interface SequencedRow {
  readonly parentId: string;
  /** Values of the table's other columns, in the order of `columns`. */
  readonly values: readonly (string | number | null)[];
}

/** Where {@link insertSequenced} writes. */
export interface SequencedTable {
  readonly table: 'execution_logs' | 'subtasks';
  readonly parentColumn: 'execution_id';
  /** The columns besides the parent and `seq`. */
  readonly columns: readonly string[];
  /** Skip rows whose primary key exists (a repeated insert) instead of failing. */
  readonly skipDuplicates: boolean;
}

/** Parents whose highest `seq` one statement reads (one parenthesized select each). */
const PARENTS_PER_READ = 200;

function ordinals(rows: readonly SequencedRow[]): number[] {
  const counts = new Map<string, number>();
  return rows.map((row) => {
    const ord = (counts.get(row.parentId) ?? 0) + 1;
    counts.set(row.parentId, ord);
    return ord;
  });
}

/**
 * Runs `write` (lock the parents, then {@link insertSequenced}) as appends must run. Without row
 * locks (SQLite) each statement is atomic on its own: no transaction is opened, since it would
 * hold the only connection across awaits. With them, one transaction at READ COMMITTED: the
 * parents' row locks already queue appenders of one parent, and under REPEATABLE READ the read
 * of where a parent's first row goes also locked the gap around it, which spans other servers'
 * executions (ids follow time, so the fires of one instant interleave): two owners appending at
 * once each waited for the other's gap and InnoDB killed one as a deadlock (log lines: 7 in 20
 * rounds, packages/storage/test/log-append-locks.test.ts, about one a second between three
 * servers in the cluster bench; subtasks: 585 in 20 rounds, subtask-insert-locks.test.ts).
 * Under READ COMMITTED a locking read locks only rows that exist, and sees every append
 * committed before the parent's lock was granted. Retried whole after a deadlock or a lost
 * connection. Inside the caller's transaction, `write` runs in it as it is.
 */
export function inAppendTransaction(
  db: Db,
  profile: DatabaseProfile,
  write: (trx: Db) => Promise<void>,
): Promise<void> {
  return withRetry(db, profile, () => {
    if (!profile.supportsRowLocks || db.isTransaction) return write(db);
    return db.transaction().setIsolationLevel('read committed').execute(write);
  });
}

/**
 * Inserts rows numbering them per parent after the parent's highest `seq`, in the given order.
 *
 * Where the database locks rows, the caller must hold the parents' row locks in the current
 * transaction: the highest numbers are read (with a locking read, so an older snapshot cannot
 * hide a batch committed just before) and the rows inserted with explicit numbers, while other
 * appenders of the same parents wait for the lock.
 *
 * Elsewhere (SQLite, which serializes writers) it is ONE `INSERT … SELECT` joining the rows with
 * each parent's current maximum: a single statement is atomic there and needs no transaction.
 * MariaDB cannot be given that statement: it may read the maximum again while inserting, after
 * its own earlier rows (measured: a batch of 5 got numbers n+1, n+3, n+6, n+10, n+15).
 */
export async function insertSequenced(
  db: Db,
  profile: DatabaseProfile,
  target: SequencedTable,
  rows: readonly SequencedRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const ords = ordinals(rows);
  const parents = [...new Set(rows.map((r) => r.parentId))];
  // Written here rather than compiled by Kysely, which walked a node per value (thousands per
  // statement) and cost more than the insert. Names come from the target, never from input.
  const { table, parentColumn: parent } = target;
  const columns = [parent, 'seq', ...target.columns].join(', ');
  const ignore = target.skipDuplicates && profile.insertIgnore === 'ignore' ? 'ignore ' : '';
  const onConflict =
    target.skipDuplicates && profile.insertIgnore === 'on-conflict'
      ? ' on conflict do nothing'
      : '';

  if (profile.supportsRowLocks) {
    // The highest entry of each parent's (parent, seq) index, read from the top of the index
    // (a locking `max(seq) … group by` reads and locks every row of the parent, so each batch
    // of a 100,000-subtask fan-out read all the batches before it: most of mariadbd's CPU
    // there), for up to PARENTS_PER_READ parents in one statement (a parenthesized locking
    // select per parent, joined by UNION ALL): a read per parent was one statement per fire
    // with a log line, most of a server's statements (bench/cluster-throughput.ts).
    const base = new Map<string, number>();
    for (let at = 0; at < parents.length; at += PARENTS_PER_READ) {
      const some = parents.slice(at, at + PARENTS_PER_READ);
      const { rows: found } = await db.executeQuery<{ p: unknown; seq: unknown }>(
        CompiledQuery.raw(
          some
            .map(
              () =>
                `(select ${parent} as p, seq from ${table} where ${parent} = ? order by seq desc limit 1 for update)`,
            )
            .join(' union all '),
          some,
        ),
      );
      for (const row of found) base.set(String(row.p), toInt(row.seq));
    }
    const tuple = `(${placeholders(target.columns.length + 2)})`;
    const params = rows.flatMap((row, i) => [
      row.parentId,
      (base.get(row.parentId) ?? 0) + (ords[i] ?? 0),
      ...row.values,
    ]);
    await db.executeQuery(
      CompiledQuery.raw(
        `insert ${ignore}into ${table} (${columns}) values ${rows.map(() => tuple).join(', ')}${onConflict}`,
        params,
      ),
    );
    return;
  }

  const maxima = `select ${parent} as p, max(seq) as max_seq from ${table}
    where ${parent} in (${placeholders(parents.length)}) group by ${parent}`;
  const cells = ['? as p', '? as ord', ...target.columns.map((_, c) => `? as c${c}`)].join(', ');
  const picked = target.columns.map((_, c) => `v.c${c}`).join(', ');
  const params = rows.flatMap((row, i) => [row.parentId, ords[i] ?? 0, ...row.values]);
  // `where 1 = 1` is needed by SQLite's parser before an upsert clause of INSERT … SELECT.
  await db.executeQuery(
    CompiledQuery.raw(
      `insert ${ignore}into ${table} (${columns})
    select v.p, coalesce(m.max_seq, 0) + v.ord, ${picked}
    from (${rows.map(() => `select ${cells}`).join(' union all ')}) v
    left join (${maxima}) m on m.p = v.p
    where 1 = 1${onConflict}`,
      [...params, ...parents],
    ),
  );
}
