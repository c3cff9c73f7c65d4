// A handler that ignores its abort signal: its execution is recorded timed_out, but its slot
// stays lost to it, and the job's overlap policy sees it running, until the handler returns.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '@carillon/client';
import type { Execution } from '@carillon/core';
import type { Stack, TestDatabase } from '@carillon/testkit';
import { startStack, testDatabases, waitFor } from '@carillon/testkit';

describe.each(testDatabases())('hung handlers on $label', (database: TestDatabase) => {
  let stack: Stack;
  let groupId: string;
  let client: Client;
  /** Ends every handler still hanging. */
  let hanging: Array<() => void> = [];
  const started: string[] = [];
  const refused: string[] = [];
  const hung: string[] = [];

  beforeEach(async () => {
    stack = await startStack({
      dbUrl: await database.create(),
      server: { heartbeatIntervalMs: 300 },
    });
    let clientToken: string;
    ({ groupId, clientToken } = await stack.createGroup('hung'));
    client = new Client({
      servers: [stack.server.rpcAddress],
      group: groupId,
      token: clientToken,
      clientId: 'hung-client',
    });
    client.register('hang', {
      concurrency: 2,
      async execute(ctx) {
        started.push(ctx.executionId);
        // Ignores ctx.signal on purpose: only the test ends it.
        if (ctx.param === 'hang') await new Promise<void>((resolve) => hanging.push(resolve));
        return 'done';
      },
    });
    client.on('execution:refused', (e) => refused.push(e.executionId));
    client.on('execution:hung', (e) => hung.push(e.executionId));
    await client.start();
  });

  afterEach(async () => {
    for (const end of hanging) end();
    hanging = [];
    started.length = 0;
    refused.length = 0;
    hung.length = 0;
    await client.stop({ graceMs: 2_000 });
    await stack.stop();
    await database.drop();
  });

  const get = (id: string): Promise<Execution> =>
    stack.api<Execution>('GET', `/api/v1/executions/${id}`);

  async function trigger(jobId: number, param: string): Promise<string> {
    const { executionId } = await stack.api<{ executionId: string }>(
      'POST',
      `/api/v1/jobs/${jobId}/trigger`,
      { param },
    );
    return executionId;
  }

  async function hungSlots(): Promise<Record<string, number> | undefined> {
    const { items } = await stack.api<{ items: Array<{ hungSlots?: Record<string, number> }> }>(
      'GET',
      `/api/v1/clients?groupId=${groupId}`,
    );
    return items[0]?.hungSlots;
  }

  it('keeps the slots of hung handlers lost, sends that client nothing more, and shows it', async () => {
    const { id: jobId } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'hangs',
      trigger: { type: 'api' },
      handler: 'hang',
      timeoutMs: 300,
    });
    const first = [await trigger(jobId, 'hang'), await trigger(jobId, 'hang')];
    for (const id of first)
      await waitFor(`${id} to time out`, async () => (await get(id)).state === 'timed_out');
    await waitFor('the client to report both slots hung', () => hung.length === 2);
    await waitFor('the client listing to show them', async () => (await hungSlots())?.hang === 2);

    const quick = await trigger(jobId, 'quick');
    await waitFor('the third fire to wait for a slot', () => stack.server.stats.waiting === 1);
    expect(refused, 'the client was sent work it had no slot for').toEqual([]);
    expect(started).toEqual(first);
    expect((await get(quick)).state).toBe('claimed');

    // The handlers return: the slots are free again, and the waiting fire runs.
    for (const end of hanging) end();
    hanging = [];
    await waitFor(
      'the third fire to succeed',
      async () => (await get(quick)).state === 'succeeded',
    );
    await waitFor(
      'the listing to show no hung slot',
      async () => (await hungSlots()) === undefined,
    );
    for (const id of first) expect((await get(id)).state).toBe('timed_out');
    expect(refused).toEqual([]);
  }, 60_000);

  it('has the overlap policy treat a timed-out execution as running until its handler returns', async () => {
    const { id: jobId } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'every second, hangs',
      trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
      handler: 'hang',
      param: 'hang',
      timeoutMs: 300,
      overlap: 'skip',
    });
    const list = async (): Promise<Execution[]> =>
      (
        await stack.api<{ items: Execution[] }>(
          'GET',
          `/api/v1/executions?jobId=${jobId}&limit=100`,
        )
      ).items;
    const timedOut = await waitFor('a fire to time out', async () =>
      (await list()).find((e) => e.state === 'timed_out'),
    );
    const skipped = await waitFor('a later fire skipped by the overlap policy', async () =>
      (await list()).find((e) => e.state === 'skipped' && e.scheduledAt > timedOut.scheduledAt),
    );
    expect(skipped.reason).toMatch(/overlap policy skip/);
    expect(started).toEqual([timedOut.id]);

    for (const end of hanging) end();
    hanging = [];
    await waitFor('a fire to run once the handler returned', () => started.length >= 2);
    expect(started[0]).toBe(timedOut.id);
  }, 60_000);
});
