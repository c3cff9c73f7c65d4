import type { Execution } from '@carillon/core';
import type { Stack } from '@carillon/testkit';
import { waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Scenario } from './scenario.js';
import { startScenario } from './scenario.js';

let scenario: Scenario;
let stack: Stack;
let group: { groupId: string; clientToken: string };

beforeAll(async () => {
  scenario = await startScenario({ group: 'kill' });
  stack = scenario.stack;
  group = scenario;
});

afterAll(() => scenario?.stop());

describe('a client killed with SIGKILL mid-run', () => {
  it(
    'fails its running execution with a clear cause and loses no later fire',
    { timeout: 120_000 },
    async () => {
      const client = await scenario.startClient('doomed');
      const { id: slowJob } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
        groupId: group.groupId,
        name: 'long run',
        description: 'sleeps',
        trigger: { type: 'api' },
        handler: 'sleep',
        param: '30000',
        onClientLost: 'fail',
      });
      const { id: cronJob } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
        groupId: group.groupId,
        name: 'per second',
        description: 'echo',
        trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
        handler: 'echo',
      });
      const { executionId } = await stack.api<{ executionId: string }>(
        'POST',
        `/api/v1/jobs/${slowJob}/trigger`,
        {},
      );
      await client.waitForEvent((e) => e.event === 'started' && e.executionId === executionId);
      await client.kill();
      const killedAt = Date.now();

      const failed = await waitFor('the running execution to fail', async () => {
        const e = await stack.api<Execution>('GET', `/api/v1/executions/${executionId}`);
        return e.state === 'failed' ? e : undefined;
      });
      expect(failed.reason).toMatch(/client doomed disconnected/);

      await scenario.startClient('replacement');
      const restartedAt = Date.now();
      await waitFor('fires on the replacement client', async () => {
        const page = await stack.api<Page>(
          'GET',
          `/api/v1/executions?jobId=${cronJob}&state=succeeded&limit=100`,
        );
        return (
          page.items.filter(
            (e) => e.clientId === 'replacement' && e.scheduledAt > restartedAt + 1000,
          ).length >= 2
        );
      });
      await stack.api('POST', `/api/v1/jobs/${cronJob}/disable`);
      const executions = (
        await stack.api<Page>('GET', `/api/v1/executions?jobId=${cronJob}&limit=500`)
      ).items.sort((a, b) => a.scheduledAt - b.scheduledAt);
      const instants = executions.map((e) => e.scheduledAt);
      for (let i = 1; i < instants.length; i++) expect(instants[i]! - instants[i - 1]!).toBe(1000);
      // Fires due while no client was connected waited for one and ran on the replacement.
      const afterKill = executions.filter((e) => e.scheduledAt > killedAt + 1000);
      await waitFor('every fire after the kill to finish', async () => {
        const page = await stack.api<Page>('GET', `/api/v1/executions?jobId=${cronJob}&limit=500`);
        return page.items
          .filter((e) => e.scheduledAt > killedAt + 1000)
          .every((e) => e.state === 'succeeded');
      });
      expect(afterKill.length).toBeGreaterThan(2);
    },
  );
});
