import type { Execution } from '@carillon/core';
import type { Stack } from '@carillon/testkit';
import { waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario } from './scenario.js';
import { startScenario } from './scenario.js';

let scenario: Scenario;
let stack: Stack;
let groupId: string;

beforeAll(async () => {
  scenario = await startScenario({
    group: 'misfire',
    clientId: 'misfire-client',
    server: { misfireThresholdMs: 1_000 },
  });
  ({ stack, groupId } = scenario);
});

afterAll(() => scenario?.stop());

const all = (jobId: number): Promise<Execution[]> => scenario.executionsOf(jobId);

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
    // Down across at least three instants, each older than the misfire threshold on restart,
    // besides the one or two the server had claimed ahead (about 1 s: the claim-ahead margin and
    // the lead) before it stopped: those have rows of cause `schedule`, outside the policy.
    await new Promise((r) => setTimeout(r, 5_600));
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
