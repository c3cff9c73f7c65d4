import type { Execution } from '@carillon/core';
import type { ClientProcess, Stack } from '@carillon/testkit';
import { waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from './scenario.js';
import { startScenario } from './scenario.js';

let scenario: Scenario;
let stack: Stack;
let client: ClientProcess;
let groupId: string;

beforeAll(async () => {
  scenario = await startScenario({ group: 'policies', clientId: 'policy-client' });
  ({ stack, groupId } = scenario);
  client = scenario.client!;
});

afterAll(() => scenario?.stop());

async function createJob(spec: Record<string, unknown>): Promise<number> {
  const body = {
    groupId,
    description: 'policy test',
    trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
    ...spec,
  };
  return (await stack.api<{ id: number }>('POST', '/api/v1/jobs', body)).id;
}

const executionsOf = (jobId: number): Promise<Execution[]> => scenario.executionsOf(jobId);

describe('timeout, overlap and retries', () => {
  it('cancels a run past its timeout through the client and records timed_out', async () => {
    const jobId = await createJob({
      name: 'slow',
      trigger: { type: 'api' },
      handler: 'sleep',
      param: '10000',
      timeoutMs: 500,
    });
    const { executionId } = await stack.api<{ executionId: string }>(
      'POST',
      `/api/v1/jobs/${jobId}/trigger`,
      {},
    );
    const ended = await waitFor('the execution to time out', async () => {
      const e = await stack.api<Execution>('GET', `/api/v1/executions/${executionId}`);
      return e.state === 'timed_out' ? e : undefined;
    });
    expect(ended.reason).toMatch(/timed out/);
    // The handler saw its signal abort: it ended long before its 10 s sleep.
    const finished = await client.waitForEvent(
      (e) => e.event === 'finished' && e.executionId === executionId,
      5_000,
    );
    expect(finished.aborted).toBe(true);
  });

  it('skip: a fire due while the previous runs is recorded as skipped', async () => {
    const jobId = await createJob({
      name: 'overlap skip',
      handler: 'sleep',
      param: '2500',
      overlap: 'skip',
    });
    const list = await waitFor('a skipped fire and a finished one', async () => {
      const all = await executionsOf(jobId);
      return all.some((e) => e.state === 'skipped') && all.some((e) => e.state === 'succeeded')
        ? all
        : undefined;
    });
    await stack.api('POST', `/api/v1/jobs/${jobId}/disable`);
    const skipped = list.filter((e) => e.state === 'skipped');
    expect(skipped[0]?.reason).toMatch(/overlap/);
    // Never two of this job on the client at once.
    const running = list.filter((e) => e.state === 'running' || e.state === 'dispatched');
    expect(running.length).toBeLessThanOrEqual(1);
  });

  it('queue_one: keeps one fire waiting and runs it after the previous ends', async () => {
    const jobId = await createJob({
      name: 'overlap queue',
      handler: 'sleep',
      param: '1800',
      overlap: 'queue_one',
    });
    const list = await waitFor('a queued fire to run after its predecessor', async () => {
      const all = await executionsOf(jobId);
      return all.filter((e) => e.state === 'succeeded').length >= 2 &&
        all.some((e) => e.state === 'skipped')
        ? all
        : undefined;
    });
    await stack.api('POST', `/api/v1/jobs/${jobId}/disable`);
    const succeeded = list
      .filter((e) => e.state === 'succeeded')
      .sort((a, b) => a.scheduledAt - b.scheduledAt);
    const [first, second] = succeeded;
    // The second started only once the first had finished.
    expect(second!.startedAt!).toBeGreaterThanOrEqual(first!.finishedAt!);
    expect(list.find((e) => e.state === 'skipped')?.reason).toMatch(/queue_one/);
  });

  it('cancel_previous: a new fire cancels the one still running', async () => {
    const jobId = await createJob({
      name: 'overlap cancel',
      handler: 'sleep',
      param: '5000',
      overlap: 'cancel_previous',
    });
    const list = await waitFor('a cancelled predecessor', async () => {
      const all = await executionsOf(jobId);
      return all.some((e) => e.state === 'cancelled') ? all : undefined;
    });
    await stack.api('POST', `/api/v1/jobs/${jobId}/disable`);
    expect(list.find((e) => e.state === 'cancelled')?.reason).toMatch(
      /overlap policy cancel_previous/,
    );
  });

  it('retries a retryable failure as the next attempt of the same execution, not a NonRetryableError', async () => {
    const jobId = await createJob({
      name: 'retry',
      trigger: { type: 'api' },
      handler: 'fail',
      param: 'boom',
      maxRetries: 2,
    });
    const { executionId } = await stack.api<{ executionId: string }>(
      'POST',
      `/api/v1/jobs/${jobId}/trigger`,
      {},
    );
    const failed = await waitFor('the last attempt to fail', async () => {
      const e = await stack.api<Execution>('GET', `/api/v1/executions/${executionId}`);
      return e.state === 'failed' ? e : undefined;
    });
    expect(failed.attempt).toBe(3);
    expect(failed.cause).toBe('retry');
    expect(failed.reason).toMatch(/failure: boom/);

    const fatalJob = await createJob({
      name: 'no retry',
      trigger: { type: 'api' },
      handler: 'fail',
      param: 'fatal',
      maxRetries: 2,
    });
    const fatal = await stack.api<{ executionId: string }>(
      'POST',
      `/api/v1/jobs/${fatalJob}/trigger`,
      {},
    );
    const ended = await waitFor('the fatal failure', async () => {
      const e = await stack.api<Execution>('GET', `/api/v1/executions/${fatal.executionId}`);
      return e.state === 'failed' ? e : undefined;
    });
    expect(ended.attempt).toBe(1);
    expect(ended.reason).toMatch(/NonRetryableError: fatal failure/);
  });
});
