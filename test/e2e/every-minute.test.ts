import type { ExecutionLog } from '@carillon/core';
import { waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Scenario } from './scenario.js';
import { startScenario } from './scenario.js';

// The seed system's test job exactly as its users know it, run for two minutes.
let scenario: Scenario;

beforeAll(async () => {
  scenario = await startScenario({ group: 'seed', clientId: 'seed-client' });
});

afterAll(() => scenario?.stop());

describe('"simple task test" on 0 0/1 * * * ?', () => {
  it('fires at the top of each minute, twice in two minutes', { timeout: 200_000 }, async () => {
    const { stack, groupId } = scenario;
    const job = await stack.api<{ id: number; createdAt: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'simple task test',
      description: 'simple task test',
      trigger: { type: 'cron', cron: '0 0/1 * * * ?', timeZone: 'UTC' },
      handler: 'echo',
      param: 'TestParam',
    });
    const jobId = job.id;
    // The first whole minute after the job existed (its own clock, not the test's).
    const firstMinute = Math.floor(job.createdAt / 60_000) * 60_000 + 60_000;
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
