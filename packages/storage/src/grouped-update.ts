import { sql } from 'kysely';
import type { RawBuilder, Updateable } from 'kysely';
import type { Database } from './schema.js';
import { chunkBySize } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';

/** Rows written per UPDATE, and bytes of values at most (under MySQL's packet limit). */
const ROWS_PER_WRITE = 500;
const BYTES_PER_WRITE = 4 * 1024 * 1024;

type Table = 'executions' | 'subtasks';
type Columns<T extends Table> = Updateable<Database[T]>;

/**
 * Writes each row's final columns, already decided by the caller (fences checked on rows it
 * read and locked in the same transaction): one UPDATE per group of rows that set the same
 * columns, a value that differs by row given per id (`CASE id WHEN … THEN … END`). A batch of
 * a few hundred changes costs a few statements instead of one round trip each.
 */
export async function writeRowsById<T extends Table>(
  trx: Db,
  table: T,
  finals: ReadonlyMap<string, Columns<T>>,
): Promise<void> {
  const groups = new Map<string, { columns: string[]; rows: [string, Columns<T>][] }>();
  for (const [id, set] of finals) {
    const columns = Object.keys(set).sort();
    const key = columns.join(',');
    const group = groups.get(key) ?? { columns, rows: [] };
    group.rows.push([id, set]);
    groups.set(key, group);
  }
  for (const { columns, rows } of groups.values()) {
    const runs = chunkBySize(rows, ROWS_PER_WRITE, BYTES_PER_WRITE, ([, set]) => {
      let bytes = 64;
      for (const c of columns) bytes += sizeOf((set as Record<string, unknown>)[c]);
      return bytes;
    });
    for (const run of runs) {
      const values: Record<string, unknown> = {};
      for (const column of columns) values[column] = valueOf(column, run);
      await trx
        .updateTable(table as 'executions')
        .set(values as Columns<'executions'>)
        .where(
          'id',
          'in',
          run.map(([id]) => id),
        )
        .execute();
    }
  }
}

function sizeOf(value: unknown): number {
  if (typeof value === 'string') return value.length * 3;
  if (value instanceof Uint8Array) return value.byteLength;
  return 16;
}

/** One value for every row of the run when they agree, else `CASE id WHEN … THEN … END`. */
function valueOf(column: string, run: ReadonlyArray<[string, object]>): unknown {
  const at = (set: object): unknown => (set as Record<string, unknown>)[column];
  const first = at(run[0]![1]);
  if (run.every(([, set]) => at(set) === first)) return first;
  const whens: RawBuilder<unknown>[] = run.map(
    ([id, set]) => sql`when ${id} then ${at(set) ?? null}`,
  );
  return sql`case ${sql.ref('id')} ${sql.join(whens, sql` `)} end`;
}
