import type { Execution } from '@carillon/core';
import {
  triggerParallelJob,
  waitFor,
  waitForExecutionEnd,
  waitForSubtasksSucceeded,
} from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParallelScenario } from './scenario.js';
import { startParallelScenario } from './scenario.js';

// The end rule and the retry rules of parallel jobs, with client processes (the real SDK over
// real gRPC) on SQLite: the test client's `parallel-test` handler fails the items a JSON
// parameter names (see packages/testkit/src/client-process-main.ts).

describe('parallel jobs: end rule, retries, reduce', () => {
  let scenario: ParallelScenario;

  beforeAll(async () => {
    scenario = await startParallelScenario({
      group: 'parallel-rules',
      clientIds: ['r1', 'r2'],
      concurrency: 4,
    });
  }, 120_000);

  afterAll(() => scenario?.stop());

  /** Creates an API-triggered parallel job, fires it once, and waits for the execution's end. */
  const run = async (
    name: string,
    param: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): Promise<Execution> => {
    const { executionId } = await triggerParallelJob(scenario.stack, {
      groupId: scenario.groupId,
      name,
      description: 'parallel rules',
      param: JSON.stringify(param),
      ...extra,
    });
    return waitForExecutionEnd(scenario.stack, executionId, {
      what: `${name} to end`,
      timeoutMs: 60_000,
    });
  };

  const endsOf = (executionId: string) => scenario.endsOf(executionId);

  const subtaskOf = async (executionId: string, item: string) =>
    (await scenario.stack.stores.subtasks.listByExecution(executionId)).find(
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
      expect(Object.fromEntries(await scenario.stack.stores.subtasks.countByState(e.id))).toEqual({
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
      const { stack } = scenario;
      const { executionId } = await triggerParallelJob(stack, {
        groupId: scenario.groupId,
        name: 'cancelled',
        description: 'parallel rules',
        param: JSON.stringify({ items: 400, sleepMs: 100 }),
      });
      await waitForSubtasksSucceeded(stack.stores, executionId, 8, { what: 'some subtasks done' });
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
