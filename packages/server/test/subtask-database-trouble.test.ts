import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import type { RowDataPacket } from 'mysql2';
import type { ClientProcess, Stack } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killServerConnections } from './support/mariadb-admin.js';
import { triggerParallelJob } from './support/parallel-job.js';

// The subtask writer on a database that fails for a while (issue 9): a batch of subtask
// changes that failed transiently used to count as not applied, read as a lost fence; a
// subtask whose `succeeded` was not recorded was then taken up again after the fence interval
// and ran twice. Changes are now retried, in order, until the database answers.
const FENCE_MS = 2_000;
const ITEMS = 1_500;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a fan-out on MariaDB whose connections are killed while the subtasks table is locked', () => {
  const database = testDatabases().find((d) => d.label === 'mariadb');
  if (database === undefined) throw new Error('no mariadb');
  const ledger = join(mkdtempSync(join(tmpdir(), 'carillon-subtask-trouble-')), 'ledger.jsonl');
  let stack: Stack;
  let clients: ClientProcess[] = [];
  let admin: Connection;
  let schema: string;
  let groupId: string;

  beforeAll(async () => {
    const url = await database.create();
    schema = new URL(url).pathname.slice(1);
    stack = await startStack({
      dbUrl: url,
      server: { fenceMs: FENCE_MS, databaseStallMs: 1_000 },
    });
    const group = await stack.createGroup('subtask-trouble');
    groupId = group.groupId;
    clients = await Promise.all(
      [1, 2].map((i) =>
        startClientProcess({
          console: stack.consoleUrl,
          group: group.groupId,
          token: group.clientToken,
          clientId: `trouble-${i}`,
          concurrency: 8,
          ledger,
        }),
      ),
    );
    admin = await createConnection({ uri: url });
  });

  afterAll(async () => {
    for (const c of clients) await c.stop();
    await stack?.stop();
    await admin?.end();
    await database.drop();
  });

  it('every subtask runs once, at its first attempt, and the execution succeeds', async () => {
    const executionId = await triggerParallelJob(stack, groupId, 'subtask-trouble', {
      param: JSON.stringify({ items: ITEMS, quiet: true, sleepMs: 5 }),
      subtaskMaxRetries: 3,
    });
    await waitFor('some subtasks done', async () => {
      const counts = await stack.stores.subtasks.countByState(executionId);
      return (counts.get('succeeded') ?? 0) > 100;
    });
    // The lock holds the writer's statements in flight, so that the kills land mid-statement;
    // more rounds than the store's own retries of a statement (8).
    await admin.query('lock tables subtasks write');
    let killed = 0;
    for (let round = 0; round < 12; round++) {
      await waitFor('a server statement waiting for the lock', async () => {
        const [rows] = await admin.query<RowDataPacket[]>(
          "select id from information_schema.processlist where db = ? and state like 'Waiting%lock%'",
          [schema],
        );
        return rows.length > 0;
      });
      await sleep(100);
      killed += await killServerConnections(admin, schema);
    }
    expect(killed).toBeGreaterThan(0);
    await admin.query('unlock tables');

    const ended = await waitFor(
      'the execution to end',
      async () => {
        const e = await stack.stores.executions.get(executionId);
        return e !== undefined && !['claimed', 'dispatched', 'running'].includes(e.state)
          ? e
          : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    expect(ended.state).toBe('succeeded');
    const starts = new Map<string, number[]>();
    for (const line of (await readFile(ledger, 'utf8')).split('\n')) {
      if (line === '') continue;
      const entry = JSON.parse(line) as { event: string; executionId: string; attempt: number };
      if (entry.event !== 'start') continue;
      starts.set(entry.executionId, [...(starts.get(entry.executionId) ?? []), entry.attempt]);
    }
    const twice = [...starts.entries()].filter(([, attempts]) => attempts.length !== 1);
    expect(twice).toEqual([]);
    expect(starts.size).toBe(ITEMS);
    const stored = await stack.stores.subtasks.listByExecution(executionId, {
      states: ['succeeded'],
      limit: 1000,
    });
    expect(stored.every((s) => s.attempt === 1)).toBe(true);
  }, 240_000);
});
