import type { Execution } from '@carillon/core';
import type { ClientProcess, Stack } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const db = testDatabases().find((d) => d.label === 'sqlite')!;
let stack: Stack;
let client: ClientProcess;
let groupId: string;

type Page = { items: Execution[]; nextCursor: string | null };

beforeAll(async () => {
  stack = await startStack({ dbUrl: await db.create(), server: { misfireThresholdMs: 1_000 } });
  const group = await stack.createGroup('misfire');
  groupId = group.groupId;
  client = await startClientProcess({
    console: stack.consoleUrl,
    group: groupId,
    token: group.clientToken,
    clientId: 'misfire-client',
  });
});

afterAll(async () => {
  await client?.stop();
  await stack?.stop();
  await db.drop();
});

async function all(jobId: number): Promise<Execution[]> {
  const page = await stack.api<Page>('GET', `/api/v1/executions?jobId=${jobId}&limit=500`);
  return [...page.items].sort((a, b) => a.scheduledAt - b.scheduledAt);
}

describe('misfire policies across a stopped server', () => {
  it('records every missed instant and fires them as each policy says', async () => {
    const jobs: Record<string, number> = {};
    for (const misfire of ['fire_once', 'fire_all', 'skip']) {
      jobs[misfire] = (
        await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
          groupId,
          name: `misfire ${misfire}`,
          description: 'misfire test',
          trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
          handler: 'echo',
          misfire,
        })
      ).id;
    }
    await waitFor('every job to have fired once', async () => {
      for (const id of Object.values(jobs))
        if (!(await all(id)).some((e) => e.state === 'succeeded')) return false;
      return true;
    });
    await stack.stopServer();
    const stoppedAt = Date.now();
    // Down across at least three instants, each older than the misfire threshold on restart.
    await new Promise((r) => setTimeout(r, 4_600));
    await stack.startServer();
    const restartedAt = Date.now();
    await waitFor('fires after the restart to succeed', async () => {
      for (const id of Object.values(jobs)) {
        if (
          !(await all(id)).some(
            (e) => e.cause === 'schedule' && e.scheduledAt > restartedAt && e.state === 'succeeded',
          )
        )
          return false;
      }
      return true;
    });
    for (const id of Object.values(jobs)) await stack.api('POST', `/api/v1/jobs/${id}/disable`);

    for (const [policy, id] of Object.entries(jobs)) {
      const executions = await all(id);
      // Nothing lost, nothing doubled: every second from the first fire on has exactly one row.
      const instants = executions.map((e) => e.scheduledAt);
      expect(new Set(instants).size, policy).toBe(instants.length);
      for (let i = 1; i < instants.length; i++)
        expect(instants[i]! - instants[i - 1]!, `${policy} gap`).toBe(1000);
      const missed = executions.filter((e) => e.cause === 'misfire');
      expect(missed.length, policy).toBeGreaterThanOrEqual(3);
      expect(
        missed.every((e) => e.scheduledAt > stoppedAt - 1000 && e.scheduledAt < restartedAt),
        policy,
      ).toBe(true);
      const ran = missed.filter((e) => e.state !== 'skipped');
      const skipped = missed.filter((e) => e.state === 'skipped');
      await waitFor(`${policy}: misfires to finish`, async () => {
        const now = await all(id);
        return now
          .filter((e) => e.cause === 'misfire')
          .every((e) => ['succeeded', 'skipped'].includes(e.state));
      });
      switch (policy) {
        case 'fire_once':
          expect(ran).toHaveLength(1);
          expect(ran[0]!.scheduledAt).toBe(Math.max(...missed.map((e) => e.scheduledAt)));
          expect(skipped.length).toBe(missed.length - 1);
          break;
        case 'fire_all':
          expect(skipped).toHaveLength(0);
          break;
        case 'skip':
          expect(ran).toHaveLength(0);
          expect(skipped.every((e) => /misfire policy skip/.test(e.reason ?? ''))).toBe(true);
          break;
      }
    }
  });
});
