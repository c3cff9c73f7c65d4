import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientProcess, Stack } from '@carillon/testkit';
import {
  readLedgerLines,
  startClientProcess,
  startStack,
  testDatabases,
  waitFor,
  waitForExecutionEnd,
} from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextServerEvent } from './support/fire-ledger.js';

// A client holding shards (subtasks) loses its stream (its process paused past the keepalive,
// so the server drops it) and comes back within the fence interval: the shards still running
// are named in its hello and keep going; those that ended while it was away have their Results
// delivered late, and the orders the server sends again for them are answered, not run again.
// Each shard runs once, at its first attempt.
const FENCE_MS = 30_000;
/** How long the client stays paused after the server dropped its stream. */
const AWAY_MS = 5_000;

describe('a client that holds shards, away for less than the fence interval', () => {
  const database = testDatabases().find((d) => d.label === 'sqlite');
  if (database === undefined) throw new Error('no sqlite');
  const ledger = join(mkdtempSync(join(tmpdir(), 'carillon-subtask-drop-')), 'ledger.jsonl');
  let stack: Stack;
  let client: ClientProcess;
  let groupId: string;

  beforeAll(async () => {
    stack = await startStack({ dbUrl: await database.create(), server: { fenceMs: FENCE_MS } });
    let clientToken: string;
    ({ groupId, clientToken } = await stack.createGroup('subtask-drop'));
    client = await startClientProcess({
      console: stack.consoleUrl,
      group: groupId,
      token: clientToken,
      clientId: 'subtask-drop-client',
      concurrency: 8,
      ledger,
    });
  }, 60_000);

  afterAll(async () => {
    client?.child.kill('SIGCONT');
    await client?.stop();
    await stack?.stop();
    await database.drop();
  });

  const fire = async (name: string, sleepMs: number, shards: number): Promise<string> => {
    const { id } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name,
      description: 'subtask stream drop',
      trigger: { type: 'api' },
      handler: 'sleep',
      param: String(sleepMs),
      kind: 'sharded',
      shardCount: shards,
    });
    const { executionId } = await stack.api<{ executionId: string }>(
      'POST',
      `/api/v1/jobs/${id}/trigger`,
      {},
    );
    return executionId;
  };

  it('runs every shard once: those running keep going, those ended are not run again', async () => {
    // Longer than the pause (the keepalive, up to 9 s, then AWAY_MS): still running at the
    // hello. Shorter: due to end while the process is paused, so they end as it resumes, their
    // Results on a stream the server has dropped.
    const long = await fire('outlasts the pause', 30_000, 2);
    const short = await fire('ends while away', 3_000, 2);
    await waitFor(
      'all four shards started',
      async () =>
        (await readLedgerLines(ledger)).filter((l) => l.event === 'start').length >= 4 || undefined,
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    const disconnected = nextServerEvent(stack, 'client:disconnected', 60_000);
    client.child.kill('SIGSTOP');
    let droppedAt: number;
    try {
      expect((await disconnected).clientId).toBe('subtask-drop-client');
      droppedAt = Date.now();
      // Away a while after the server dropped it: the fence interval is what keeps its shards.
      await new Promise((resolve) => setTimeout(resolve, AWAY_MS));
    } finally {
      client.child.kill('SIGCONT');
    }
    await nextServerEvent(stack, 'client:connected', 30_000);
    const backAfterMs = Date.now() - droppedAt;
    // Back within the fence interval, or this test is not about what it says.
    expect(backAfterMs).toBeLessThan(FENCE_MS);

    for (const executionId of [long, short]) {
      const e = await waitForExecutionEnd(stack, executionId, { timeoutMs: 90_000 });
      expect(e.state, e.reason ?? '').toBe('succeeded');
      const subtasks = await stack.stores.subtasks.listByExecution(executionId);
      expect(subtasks.map((s) => [s.state, s.attempt])).toEqual([
        ['succeeded', 1],
        ['succeeded', 1],
      ]);
    }
    const lines = (await readLedgerLines(ledger)).filter(
      (l) => l.parentId === long || l.parentId === short,
    );
    const starts = lines.filter((l) => l.event === 'start').map((l) => l.executionId);
    expect(starts).toHaveLength(4);
    expect(new Set(starts).size).toBe(4);
    console.log(
      `subtask-stream-drop figures ${JSON.stringify({ backAfterMs, fenceMs: FENCE_MS })}`,
    );
  }, 150_000);
});
