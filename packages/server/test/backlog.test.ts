// A backlog of fires that waited for a client drains by the backlog rule once one connects:
// fires due after it connected run on time, whatever the backlog, and fires that waited past
// their job's dispatch timeout are recorded skipped, never sent.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '@carillon/client';
import type { Execution } from '@carillon/core';
import type { Stack, TestDatabase } from '@carillon/testkit';
import { startStack, testDatabases, waitFor } from '@carillon/testkit';

interface Start {
  readonly jobId: number;
  readonly scheduledAt: number;
  readonly startedAt: number;
}

describe.each(testDatabases())('a backlog on $label', (database: TestDatabase) => {
  let stack: Stack;
  let groupId: string;
  let clientToken: string;
  let client: Client | undefined;

  beforeEach(async () => {
    stack = await startStack({ dbUrl: await database.create() });
    ({ groupId, clientToken } = await stack.createGroup('backlog'));
  });

  afterEach(async () => {
    await client?.stop({ graceMs: 1_000 });
    client = undefined;
    await stack.stop();
    await database.drop();
  });

  async function createJobs(count: number, extra: Record<string, unknown> = {}): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const { id } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
        groupId,
        name: `backlog ${i}`,
        trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
        handler: 'work',
        ...extra,
      });
      ids.push(id);
    }
    return ids;
  }

  async function connect(concurrency: number, handlerMs: number, starts: Start[]): Promise<number> {
    client = new Client({
      servers: [stack.server.rpcAddress],
      group: groupId,
      token: clientToken,
      clientId: 'backlog-client',
    });
    client.register('work', {
      concurrency,
      async execute(ctx) {
        starts.push({ jobId: ctx.jobId, scheduledAt: ctx.scheduledAt, startedAt: Date.now() });
        await sleep(handlerMs);
      },
    });
    await client.start();
    return Date.now();
  }

  it('runs the fires due after a client connects on time, ahead of the backlog', async () => {
    // 60 fires a second; the client takes 200 a second (10 slots, 50 ms each). With no client
    // for 10 s, 600 fires wait: served oldest first, the fresh ones would queue behind them for
    // seconds; by the backlog rule (newest due first) they start within a fraction of one.
    const jobIds = await createJobs(60);
    await waitFor(
      'a backlog of fires waiting for a client',
      () => stack.server.stats.waiting >= 540,
      {
        timeoutMs: 30_000,
        intervalMs: 100,
      },
    );
    const starts: Start[] = [];
    const connectedAt = await connect(10, 50, starts);
    const from = Math.ceil(connectedAt / 1000) * 1000 + 1_000;
    const until = from + 4_000;
    await waitFor(
      'the fires due in four seconds after the client came',
      () => starts.filter((s) => s.scheduledAt === until - 1_000).length >= jobIds.length,
      {
        timeoutMs: 30_000,
        intervalMs: 100,
      },
    );
    const fresh = starts.filter((s) => s.scheduledAt >= from && s.scheduledAt < until);
    const late = fresh.filter((s) => s.startedAt - s.scheduledAt > 1_500);
    expect(new Set(fresh.map((s) => `${s.jobId}@${s.scheduledAt}`)).size).toBe(4 * jobIds.length);
    expect(late, 'fires due after the client connected started more than 1.5 s late').toEqual([]);
  }, 90_000);

  it("records fires that waited past the job's dispatch timeout as skipped, unsent", async () => {
    const [jobId] = await createJobs(1, { dispatchTimeoutMs: 1_000 });
    const job = await stack.api<{ dispatchTimeoutMs: number }>('GET', `/api/v1/jobs/${jobId}`);
    expect(job.dispatchTimeoutMs).toBe(1_000);
    const skipped = await waitFor(
      'a fire skipped for its dispatch timeout',
      async () => {
        const page = await stack.api<{ items: Execution[] }>(
          'GET',
          `/api/v1/executions?jobId=${jobId}&state=skipped&limit=10`,
        );
        return page.items[0];
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(skipped.reason).toMatch(/^dispatch timeout:/);
    // It waited its full second after its instant, not the server's old fixed 10 s.
    expect(skipped.finishedAt! - skipped.scheduledAt).toBeGreaterThanOrEqual(1_000);
    expect(skipped.finishedAt! - skipped.scheduledAt).toBeLessThan(5_000);
    const failed = await stack.api<{ items: Execution[] }>(
      'GET',
      `/api/v1/executions?jobId=${jobId}&state=failed&limit=10`,
    );
    expect(failed.items).toEqual([]);
    // A client that connects later never sees the skipped fire.
    const starts: Start[] = [];
    await connect(2, 0, starts);
    await waitFor('a fire to run', () => starts.length > 0, { timeoutMs: 10_000 });
    expect(starts.find((s) => s.scheduledAt === skipped.scheduledAt)).toBeUndefined();
  }, 60_000);

  it('takes a dispatch timeout by default, changes it, and refuses bad ones', async () => {
    const [jobId] = await createJobs(1, { trigger: { type: 'api' } });
    const job = await stack.api<{ dispatchTimeoutMs: number; version: number }>(
      'GET',
      `/api/v1/jobs/${jobId}`,
    );
    expect(job.dispatchTimeoutMs).toBe(60_000);
    for (const bad of [0, 99, 86_400_001, 1.5, '1000', null]) {
      await stack.api('PATCH', `/api/v1/jobs/${jobId}`, { dispatchTimeoutMs: bad }, 400);
      await stack.api(
        'POST',
        '/api/v1/jobs',
        { groupId, name: 'bad', trigger: { type: 'api' }, handler: 'work', dispatchTimeoutMs: bad },
        400,
      );
    }
    const unchanged = await stack.api<{ dispatchTimeoutMs: number; version: number }>(
      'GET',
      `/api/v1/jobs/${jobId}`,
    );
    expect(unchanged).toMatchObject({ dispatchTimeoutMs: 60_000, version: job.version });
    await stack.api('PATCH', `/api/v1/jobs/${jobId}`, { dispatchTimeoutMs: 5_000 });
    const changed = await stack.api<{ dispatchTimeoutMs: number }>('GET', `/api/v1/jobs/${jobId}`);
    expect(changed.dispatchTimeoutMs).toBe(5_000);
    const openapi = await stack.api<{ components: { schemas: Record<string, unknown> } }>(
      'GET',
      '/api/v1/openapi.json',
    );
    expect(JSON.stringify(openapi)).toContain('dispatchTimeoutMs');
  });
});
