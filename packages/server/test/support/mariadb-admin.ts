import type { Connection } from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2';

/**
 * Kills every connection to the database `schema` but `admin`'s own: the server's pool, in
 * tests of a database that fails mid-run. Returns how many it found.
 */
export async function killServerConnections(admin: Connection, schema: string): Promise<number> {
  const [rows] = await admin.query<Array<{ id: number } & RowDataPacket>>(
    'select id from information_schema.processlist where db = ? and id <> connection_id()',
    [schema],
  );
  for (const { id } of rows) await admin.query(`kill ${Number(id)}`).catch(() => undefined);
  return rows.length;
}
