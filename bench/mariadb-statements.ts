// MariaDB's own counts of the statements a bench sends, for a throwaway server of the bench's
// (testkit startMariaDb): a shared server's counters hold other work's statements too.
import { createConnection } from 'mysql2/promise';
import type { MariaDbServer } from '@carillon/testkit';

/** MariaDB's statement counters (`Com_%`, plus `Questions`), when the server is the bench's own. */
export async function statementCounts(db: MariaDbServer | undefined): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (db === undefined) return counts;
  const connection = await createConnection({ uri: db.serverUrl });
  try {
    const [rows] = await connection.query(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions','Com_select','Com_insert','Com_update','Com_delete','Com_begin','Com_commit','Com_rollback')",
    );
    for (const row of rows as { Variable_name: string; Value: string }[])
      counts.set(row.Variable_name.replace(/^Com_/, ''), Number(row.Value));
  } finally {
    await connection.end();
  }
  return counts;
}

/**
 * MariaDB's general log (to its table) during the window: the
 * statements of each kind, literals blanked. The log costs MariaDB CPU, so a run with it says
 * what is sent, not what it costs.
 */
export async function statementLog(db: MariaDbServer | undefined, on: boolean): Promise<void> {
  if (db === undefined) return;
  const connection = await createConnection({ uri: db.serverUrl });
  try {
    if (on) {
      await connection.query("SET GLOBAL log_output = 'TABLE'");
      await connection.query('TRUNCATE mysql.general_log');
    }
    await connection.query(`SET GLOBAL general_log = ${on ? 1 : 0}`);
  } finally {
    await connection.end();
  }
}

/** Statements of the window by kind (see {@link statementLog}), per fire. */
export async function statementKinds(
  db: MariaDbServer | undefined,
  fires: number,
): Promise<Record<string, number> | undefined> {
  if (db === undefined) return undefined;
  const connection = await createConnection({ uri: db.serverUrl });
  try {
    const [rows] = await connection.query(
      "SELECT CONVERT(argument USING utf8mb4) AS text FROM mysql.general_log WHERE command_type IN ('Query', 'Execute')",
    );
    const kinds = new Map<string, number>();
    for (const { text } of rows as { text: string }[]) {
      const kind = text
        .replace(/'(?:[^'\\]|\\.)*'/g, '?')
        .replace(/\b\d+\b/g, '?')
        .replace(/\(\?(?:, ?\?)*\)/g, '(…)')
        .replace(/\s+/g, ' ')
        .slice(0, 110);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    return Object.fromEntries(
      [...kinds]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => [k, Math.round((n / fires) * 1000) / 1000]),
    );
  } finally {
    await connection.end();
  }
}
