import type { Execution, ExecutionLog } from '@carillon/core';
import type { ClientProcess, Stack } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The seed system's test job exactly as its users know it, run for two minutes.
const db = testDatabases().find((d) => d.label === 'sqlite')!;
let stack: Stack;
let client: ClientProcess;

beforeAll(async () => {
  stack = await startStack({ dbUrl: await db.create() });
});

afterAll(async () => {
  await client?.stop();
  await stack?.stop();
  await db.drop();
});

type Page = { items: Execution[]; nextCursor: string | null };

describe('"simple task test" on 0 0/1 * * * ?', () => {
  it('fires at the top of each minute, twice in two minutes', { timeout: 200_000 }, async () => {
    const group = await stack.createGroup('seed');
    client = await startClientProcess({
      console: stack.consoleUrl,
      group: group.groupId,
      token: group.clientToken,
      clientId: 'seed-client',
    });
    const { id: jobId } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId: group.groupId,
      name: 'simple task test',
      description: 'simple task test',
      trigger: { type: 'cron', cron: '0 0/1 * * * ?', timeZone: 'UTC' },
      handler: 'echo',
      param: 'TestParam',
    });
    const createdAt = Date.now();
    const firstMinute = Math.ceil(createdAt / 60_000) * 60_000;
    const done = await waitFor(
      'two fires',
      async () => {
        const page = await stack.api<Page>('GET', `/api/v1/executions?jobId=${jobId}&limit=10`);
        return page.items.filter((e) => e.state === 'succeeded').length >= 2
          ? page.items
          : undefined;
      },
      { timeoutMs: 190_000, intervalMs: 1_000 },
    );
    const instants = done.map((e) => e.scheduledAt).sort((a, b) => a - b);
    expect(instants).toEqual([firstMinute, firstMinute + 60_000]);
    for (const e of done) {
      expect(e.result).toBe('echo:TestParam');
      const logs = await stack.api<{ items: ExecutionLog[] }>(
        'GET',
        `/api/v1/executions/${e.id}/logs`,
      );
      expect(logs.items.map((l) => l.message)).toEqual(['echo TestParam']);
    }
  });
});
