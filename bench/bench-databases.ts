// The throwaway databases the store benches run on: one MariaDB database on the server at
// `--mysql-url`, one SQLite file in a temporary folder.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';

/** A fresh database for one bench run. */
export interface BenchDatabase {
  readonly label: string;
  readonly url: string;
  /** Drops the database (MariaDB) or removes its folder (SQLite). */
  cleanup(): Promise<void>;
}

async function mariadb(serverUrl: string): Promise<BenchDatabase> {
  const name = `carillon_bench_${randomBytes(6).toString('hex')}`;
  const admin = await createConnection({ uri: serverUrl });
  await admin.query(`create database ${name}`);
  return {
    label: 'mariadb',
    url: new URL(name, serverUrl).toString(),
    async cleanup() {
      await admin.query(`drop database if exists ${name}`);
      await admin.end();
    },
  };
}

async function sqlite(): Promise<BenchDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'carillon-bench-'));
  return {
    label: 'sqlite',
    url: `sqlite://${join(dir, 'bench.db')}`,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Runs `run` on a fresh database of each kind `db` names (`mariadb`, `sqlite`, or `all` for
 * both, MariaDB first), one after the other, and cleans each up after its run, even a failed one.
 */
export async function onEachBenchDatabase(
  db: string,
  mysqlUrl: string,
  run: (database: BenchDatabase) => Promise<void>,
): Promise<void> {
  for (const label of db === 'all' ? ['mariadb', 'sqlite'] : [db]) {
    const database = label === 'mariadb' ? await mariadb(mysqlUrl) : await sqlite();
    try {
      await run(database);
    } finally {
      await database.cleanup();
    }
  }
}
