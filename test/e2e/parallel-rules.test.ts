import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Execution } from '@carillon/core';
import type { ClientProcess, LedgerLine, Stack } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The end rule and the retry rules of parallel jobs, with client processes (the real SDK over
// real gRPC) on SQLite: the test client's `parallel-test` handler fails the items a JSON
// parameter names (see packages/testkit/src/client-process-main.ts).

const db = testDatabases().find((d) => d.label === 'sqlite');

describe('parallel jobs: end rule, retries, reduce', () => {
  let stack: Stack;
  let groupId: string;
  let clientToken: string;
  const clients: ClientProcess[] = [];
  const ledger = join(mkdtempSync(join(tmpdir(), 'carillon-parallel-')), 'ledger.jsonl');

  beforeAll(async () => {
    if (db === undefined) throw new Error('no SQLite test database');
    stack = await startStack({ dbUrl: await db.create() });
    ({ groupId, clientToken } = await stack.createGroup('parallel-rules'));
    for (const clientId of ['r1', 'r2']) {
      clients.push(
        await startClientProcess({
          console: stack.consoleUrl,
          group: groupId,
          token: clientToken,
          clientId,
          concurrency: 4,
          ledger,
        }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) await client.stop().catch(() => undefined);
    await stack?.stop();
    await db?.drop();
  });

  /** Creates an API-triggered parallel job, fires it once, and waits for the execution's end. */
  const run = async (
    name: string,
    param: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): Promise<Execution> => {
    const { id } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name,
      description: 'parallel rules',
      trigger: { type: 'api' },
      handler: 'parallel-test',
      kind: 'parallel',
      param: JSON.stringify(param),
      ...extra,
    });
    const { executionId } = await stack.api<{ executionId: string }>(
      'POST',
      `/api/v1/jobs/${id}/trigger`,
      {},
    );
    return waitFor(
      `${name} to end`,
      async () => {
        const e = await stack.api<Execution>('GET', `/api/v1/executions/${executionId}`);
        return ['claimed', 'dispatched', 'running'].includes(e.state) ? undefined : e;
      },
      { timeoutMs: 60_000 },
    );
  };

  const endsOf = async (executionId: string): Promise<LedgerLine[]> =>
    (await readFile(ledger, 'utf8'))
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as LedgerLine)
      .filter((l) => l.parentId === executionId && l.event === 'end');

  const subtaskOf = async (executionId: string, item: string) =>
    (await stack.stores.subtasks.listByExecution(executionId)).find(
      (s) => s.payload === JSON.stringify(item),
    );

  it(
    'some subtasks failed: partially_failed; a failed subtask is retried subtaskMaxRetries times, a NonRetryableError is not',
    {
      timeout: 90_000,
    },
    async () => {
      const e = await run(
        'partial',
        { items: 20, fail: [3], fatal: [5] },
        { subtaskMaxRetries: 1, subtaskRetryDelayMs: 100 },
      );
      expect(e.state).toBe('partially_failed');
      expect(e.reason).toBe('2 of 20 subtasks did not succeed');
      expect(Object.fromEntries(await stack.stores.subtasks.countByState(e.id))).toEqual({
        succeeded: 18,
        failed: 2,
      });
      const ends = await endsOf(e.id);
      // item-3 ran twice (attempt 1 and its one retry), item-5 once (non-retryable).
      expect(ends.filter((l) => l.item === 'item-3').map((l) => l.attempt)).toEqual([1, 2]);
      expect(ends.filter((l) => l.item === 'item-5').map((l) => l.attempt)).toEqual([1]);
      expect((await subtaskOf(e.id, 'item-3'))?.attempt).toBe(2);
      expect((await subtaskOf(e.id, 'item-5'))?.reason).toMatch(/NonRetryableError: fatal item-5/);
      expect(ends).toHaveLength(21);
    },
  );

  it(
    'a subtask that fails once and then succeeds leaves the execution succeeded',
    {
      timeout: 90_000,
    },
    async () => {
      const e = await run(
        'flaky',
        { items: 10, flaky: [1, 2] },
        { subtaskMaxRetries: 2, subtaskRetryDelayMs: 100 },
      );
      expect(e.state).toBe('succeeded');
      const ends = await endsOf(e.id);
      expect(ends.filter((l) => l.item === 'item-1').map((l) => l.outcome)).toEqual([
        'failed',
        'succeeded',
      ]);
      expect((await subtaskOf(e.id, 'item-2'))?.attempt).toBe(2);
      expect(ends).toHaveLength(12);
    },
  );

  it(
    'without retries a failure is final; all subtasks failed: failed',
    { timeout: 90_000 },
    async () => {
      const e = await run('all fail', { items: 3, fail: [0, 1, 2] }, { subtaskMaxRetries: 0 });
      expect(e.state).toBe('failed');
      expect(e.reason).toBe('3 of 3 subtasks did not succeed');
      expect(await endsOf(e.id)).toHaveLength(3);
    },
  );

  it(
    'a cancel request cancels the running and pending subtasks, then the execution',
    {
      timeout: 90_000,
    },
    async () => {
      const { id } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
        groupId,
        name: 'cancelled',
        description: 'parallel rules',
        trigger: { type: 'api' },
        handler: 'parallel-test',
        kind: 'parallel',
        param: JSON.stringify({ items: 400, sleepMs: 100 }),
      });
      const { executionId } = await stack.api<{ executionId: string }>(
        'POST',
        `/api/v1/jobs/${id}/trigger`,
        {},
      );
      await waitFor('some subtasks done', async () => {
        const counts = await stack.stores.subtasks.countByState(executionId);
        return (counts.get('succeeded') ?? 0) >= 8;
      });
      await stack.api('POST', `/api/v1/executions/${executionId}/cancel`, {});
      const e = await waitFor('the execution to be cancelled', async () => {
        const x = await stack.api<Execution>('GET', `/api/v1/executions/${executionId}`);
        return x.state === 'running' ? undefined : x;
      });
      expect(e.state).toBe('cancelled');
      const counts = await stack.stores.subtasks.countByState(executionId);
      expect((counts.get('cancelled') ?? 0) + (counts.get('succeeded') ?? 0)).toBe(400);
      expect(counts.get('cancelled') ?? 0).toBeGreaterThan(0);
    },
  );

  it('no items: succeeded at once', { timeout: 90_000 }, async () => {
    const e = await run('empty', { items: 0 });
    expect(e.state).toBe('succeeded');
  });

  it(
    'reduce runs once after every subtask ended, seeing each result once; its return is the result',
    {
      timeout: 90_000,
    },
    async () => {
      const e = await run('with reduce', { items: 30, fatal: [7] }, { handler: 'parallel-reduce' });
      expect(e.state).toBe('partially_failed');
      expect(e.result).toBe('30 done, 29 succeeded');
    },
  );
});
