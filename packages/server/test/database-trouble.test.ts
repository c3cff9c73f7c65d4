import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createConnection } from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import type { ClientProcess, Stack } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPerSecondJobs,
  expectEveryFireOnce,
  nextServerEvent,
  waitForFirstFires,
} from './support/fire-ledger.js';
import { killServerConnections } from './support/mariadb-admin.js';

// A server whose database fails for a while must hold what it could not write and write it
// when the database answers again: no fire lost, doubled, misfired or left running. The
// thresholds are short so that a few seconds of trouble would misfire instants on a server
// that mistook a delayed claim for a missed one.
const SERVER = { misfireThresholdMs: 1_000, databaseStallMs: 1_000 } as const;
const JOBS = 3;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startWithClient(
  dbUrl: string,
  name: string,
): Promise<{ stack: Stack; client: ClientProcess; jobIds: number[] }> {
  const stack = await startStack({ dbUrl, server: SERVER });
  const { groupId, clientToken } = await stack.createGroup(name);
  const client = await startClientProcess({
    console: stack.consoleUrl,
    group: groupId,
    token: clientToken,
    clientId: `${name}-client`,
  });
  const jobIds = await createPerSecondJobs(stack, groupId, JOBS);
  await waitForFirstFires(client, jobIds);
  return { stack, client, jobIds };
}

describe('a server on MariaDB whose database fails mid-run', () => {
  const database = testDatabases().find((d) => d.label === 'mariadb');
  if (database === undefined) throw new Error('no mariadb');
  let stack: Stack;
  let client: ClientProcess;
  let jobIds: number[];
  let admin: Connection;
  let schema: string;

  beforeAll(async () => {
    const url = await database.create();
    schema = new URL(url).pathname.slice(1);
    ({ stack, client, jobIds } = await startWithClient(url, 'db-trouble-mariadb'));
    admin = await createConnection({ uri: url });
  });

  afterAll(async () => {
    await client?.stop();
    await stack?.stop();
    await admin?.end();
    await database.drop();
  });

  it('a table locked for seconds: fires wait, then all run once, none misfired', async () => {
    const failing = nextServerEvent(stack, 'database:failing');
    const recovered = nextServerEvent(stack, 'database:recovered', 60_000);
    await admin.query('lock tables executions write');
    await failing;
    expect(stack.server.health.database.state).toBe('failing');
    // The trouble itself lasts a while: several instants come due under the lock.
    await sleep(4_000);
    await admin.query('unlock tables');
    await recovered;
    expect(stack.server.health.database.state).toBe('ok');
    await expectEveryFireOnce(stack, client, jobIds, Date.now() + 2_000);
  }, 120_000);

  it('connections killed mid-statement: changes are retried in order, none stuck running', async () => {
    const failing = nextServerEvent(stack, 'database:failing');
    const recovered = nextServerEvent(stack, 'database:recovered', 60_000);
    // The lock holds the server's statements in flight, so that the kills land mid-statement
    // (a killed idle connection is merely replaced by the pool).
    await admin.query('lock tables executions write');
    await failing;
    let killed = 0;
    for (let round = 0; round < 4; round++) {
      await sleep(600);
      killed += await killServerConnections(admin, schema);
    }
    expect(killed).toBeGreaterThan(0);
    await admin.query('unlock tables');
    await recovered;
    await expectEveryFireOnce(stack, client, jobIds, Date.now() + 2_000);
  }, 120_000);
});

/**
 * Holds a write transaction on a SQLite file from another process (better-sqlite3 waits
 * synchronously for a lock, so a holder in this process could never let go).
 */
async function holdSqliteWriteLock(path: string, holdMs: number): Promise<void> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1], { timeout: 10000 });
    db.exec('begin immediate');
    console.log('locked');
    setTimeout(() => { db.exec('commit'); console.log('released'); db.close(); }, Number(process.argv[2]));
  `;
  const child = spawn(process.execPath, ['-e', script, path, String(holdMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit');
  for await (const line of lines) if (line === 'locked') break;
  await exited;
}

describe('a server on SQLite while another connection holds a write transaction', () => {
  const database = testDatabases().find((d) => d.label === 'sqlite');
  if (database === undefined) throw new Error('no sqlite');
  let stack: Stack;
  let client: ClientProcess;
  let jobIds: number[];
  let path: string;

  beforeAll(async () => {
    const url = await database.create();
    path = new URL(url).pathname;
    ({ stack, client, jobIds } = await startWithClient(url, 'db-trouble-sqlite'));
  });

  afterAll(async () => {
    await client?.stop();
    await stack?.stop();
    await database.drop();
  });

  it('busy: fires wait for the lock, then all run once, none misfired', async () => {
    for (let round = 0; round < 3; round++) await holdSqliteWriteLock(path, 2_000);
    await expectEveryFireOnce(stack, client, jobIds, Date.now() + 2_000);
  }, 120_000);
});
