import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';

/** A database the conformance suite runs against; each test file makes its own. */
export interface TestDatabase {
  readonly label: 'mariadb' | 'sqlite';
  /**
   * Two store instances in one process can hold transactions open at once. Not so with SQLite:
   * better-sqlite3 is synchronous, so a handle waiting for another's write lock blocks the event
   * loop that the other needs to finish; cross-handle transactions need separate processes.
   */
  readonly parallelTransactionsInProcess: boolean;
  /** Creates a fresh, empty database and returns its URL. */
  create(): Promise<string>;
  /** Removes what `create` made. */
  drop(): Promise<void>;
}

/** The MySQL server the suite uses, without a database name. */
export const MYSQL_SERVER_URL =
  process.env['CARILLON_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/';

/** A fresh database on the MariaDB/MySQL server at `serverUrl` (default the shared one). */
export function mariadbDatabase(serverUrl: string = MYSQL_SERVER_URL): TestDatabase {
  const name = `carillon_t_${randomBytes(6).toString('hex')}`;
  const admin = () => createConnection({ uri: serverUrl });
  return {
    label: 'mariadb',
    parallelTransactionsInProcess: true,
    async create() {
      const connection = await admin();
      try {
        await connection.query(`create database ${name}`);
      } finally {
        await connection.end();
      }
      return new URL(name, serverUrl).toString();
    },
    async drop() {
      const connection = await admin();
      try {
        await connection.query(`drop database if exists ${name}`);
      } finally {
        await connection.end();
      }
    },
  };
}

function sqlite(): TestDatabase {
  let dir: string | undefined;
  return {
    label: 'sqlite',
    parallelTransactionsInProcess: false,
    async create() {
      dir = await mkdtemp(join(tmpdir(), 'carillon-t-'));
      return `sqlite://${join(dir, 'carillon.db')}`;
    },
    async drop() {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One fresh database of each kind, for `describe.each(testDatabases())`. */
export function testDatabases(): readonly TestDatabase[] {
  return [mariadbDatabase(), sqlite()];
}
