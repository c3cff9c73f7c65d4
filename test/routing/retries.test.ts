import { Client, NonRetryableError } from '@carillon/client';
import type { Execution } from '@carillon/core';
import { startStack, testDatabases, waitFor } from '@carillon/testkit';
import type { Stack } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Retries by the job's policy, seen from an SDK client (real gRPC, SQLite): each attempt's
// start as the handler saw it. Spacing is asserted from below only (the base delay), never
// from above: the machine is shared.
let stack: Stack;
let client: Client;
let drop: () => Promise<void>;
let groupId: string;
const starts: Array<{ executionId: string; attempt: number; at: number }> = [];

beforeAll(async () => {
  const db = testDatabases().find((d) => d.label === 'sqlite')!;
  stack = await startStack({ dbUrl: await db.create() });
  drop = () => db.drop();
  const group = await stack.createGroup('retries');
  groupId = group.groupId;
  const clientToken = group.clientToken;
  client = new Client({
    servers: [stack.server.rpcAddress],
    group: groupId,
    token: clientToken,
    clientId: 'retry-client',
  });
  client.register('flaky', {
    concurrency: 4,
    execute(ctx) {
      starts.push({ executionId: ctx.executionId, attempt: ctx.attempt, at: Date.now() });
      // Param `fatal`: a NonRetryableError; `pass-at-N`: succeeds from attempt N; else fails.
      if (ctx.param === 'fatal') return Promise.reject(new NonRetryableError('fatal failure'));
      const passAt = Number(/^pass-at-(\d+)$/.exec(ctx.param ?? '')?.[1] ?? Infinity);
      return ctx.attempt >= passAt
        ? Promise.resolve('ok')
        : Promise.reject(new Error(`failure at attempt ${ctx.attempt}`));
    },
  });
  await client.start();
});

afterAll(async () => {
  await client?.stop({ graceMs: 500 });
  await stack?.stop();
  await drop?.();
});

async function runOnce(
  spec: Record<string, unknown>,
): Promise<{ execution: Execution; attempts: typeof starts }> {
  const { id } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
    groupId,
    name: `retry ${JSON.stringify(spec)}`.slice(0, 120),
    trigger: { type: 'api' },
    handler: 'flaky',
    ...spec,
  });
  const { executionId } = await stack.api<{ executionId: string }>(
    'POST',
    `/api/v1/jobs/${id}/trigger`,
    {},
  );
  const execution = await waitFor(
    'the execution to end',
    async () => {
      const e = await stack.api<Execution>('GET', `/api/v1/executions/${executionId}`);
      return e.state === 'succeeded' || e.state === 'failed' ? e : undefined;
    },
    { timeoutMs: 20_000 },
  );
  const attempts = starts.filter((s) => s.executionId === executionId);
  const gaps = attempts.slice(1).map((s, i) => s.at - attempts[i]!.at);
  console.log(
    `[retries] ${JSON.stringify(spec)}: ${execution.state} at attempt ${execution.attempt}; gaps between starts (ms) ${JSON.stringify(gaps)}`,
  );
  return { execution, attempts };
}

describe('retries with backoff', () => {
  it('fixed: every retry waits the base delay; the same execution, attempts 1..n', async () => {
    const { execution, attempts } = await runOnce({
      param: 'never',
      maxRetries: 3,
      retryBackoff: 'fixed',
      retryDelayMs: 400,
    });
    expect(execution).toMatchObject({ state: 'failed', attempt: 4, cause: 'retry' });
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    for (let i = 1; i < attempts.length; i++)
      expect(attempts[i]!.at - attempts[i - 1]!.at).toBeGreaterThanOrEqual(400);
  });

  it('exponential: the delay doubles per retry (from below), and a later attempt may succeed', async () => {
    const { execution, attempts } = await runOnce({
      param: 'pass-at-4',
      maxRetries: 5,
      retryBackoff: 'exponential',
      retryDelayMs: 200,
      retryMaxDelayMs: 10_000,
    });
    expect(execution).toMatchObject({ state: 'succeeded', attempt: 4 });
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    [200, 400, 800].forEach((delay, i) =>
      expect(attempts[i + 1]!.at - attempts[i]!.at).toBeGreaterThanOrEqual(delay),
    );
  });

  it('exponential with the cap at the base delay: every retry waits (at least) the cap', async () => {
    const { execution, attempts } = await runOnce({
      param: 'never',
      maxRetries: 3,
      retryBackoff: 'exponential',
      retryDelayMs: 300,
      retryMaxDelayMs: 300,
    });
    expect(execution).toMatchObject({ state: 'failed', attempt: 4 });
    for (let i = 1; i < attempts.length; i++)
      expect(attempts[i]!.at - attempts[i - 1]!.at).toBeGreaterThanOrEqual(300);
  });

  it('a NonRetryableError stops retries at once', async () => {
    const { execution, attempts } = await runOnce({
      param: 'fatal',
      maxRetries: 5,
      retryBackoff: 'fixed',
      retryDelayMs: 100,
    });
    expect(execution).toMatchObject({ state: 'failed', attempt: 1 });
    expect(execution.reason).toMatch(/NonRetryableError/);
    // Given time for a retry that must not come.
    await new Promise((r) => setTimeout(r, 600));
    expect(starts.filter((s) => s.executionId === execution.id)).toHaveLength(1);
    expect(attempts).toHaveLength(1);
  });
});
