import type { ExecutionLog } from '@carillon/core';
import type { Stack } from '@carillon/testkit';
import { waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Scenario } from './scenario.js';
import { startScenario } from './scenario.js';

let scenario: Scenario;
let stack: Stack;
let groupId: string;

beforeAll(async () => {
  scenario = await startScenario({ group: 'simple', clientId: 'simple-client' });
  ({ stack, groupId } = scenario);
});

afterAll(() => scenario?.stop());

describe('a cron job end to end (client in another process, real gRPC)', () => {
  it('fires on its cron, runs in the client, and records result and logs', async () => {
    const { id: jobId } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'every second',
      description: 'simple task test, per second',
      trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
      handler: 'echo',
      param: 'TestParam',
    });
    const done = await waitFor('three succeeded executions', async () => {
      const page = await stack.api<Page>(
        'GET',
        `/api/v1/executions?jobId=${jobId}&state=succeeded&limit=50`,
      );
      return page.items.length >= 3 ? page.items : undefined;
    });
    for (const execution of done) {
      expect(execution.cause).toBe('schedule');
      expect(execution.result).toBe('echo:TestParam');
      expect(execution.clientId).toBe('simple-client');
      expect(execution.scheduledAt % 1000).toBe(0);
      expect(execution.startedAt).toBeGreaterThanOrEqual(execution.scheduledAt);
      const logs = await stack.api<{ items: ExecutionLog[] }>(
        'GET',
        `/api/v1/executions/${execution.id}/logs`,
      );
      expect(logs.items.map((l) => l.message)).toContain('echo TestParam');
    }
    const instants = done.map((e) => e.scheduledAt);
    expect(new Set(instants).size).toBe(instants.length);
    await stack.api('POST', `/api/v1/jobs/${jobId}/disable`);
  });

  it('fires an API-triggered job once per trigger', async () => {
    const { id: jobId } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'on request',
      description: 'api',
      trigger: { type: 'api' },
      handler: 'echo',
      param: 'default',
    });
    const ids: string[] = [];
    for (const param of ['a', 'b', 'c']) {
      ids.push(
        (
          await stack.api<{ executionId: string }>('POST', `/api/v1/jobs/${jobId}/trigger`, {
            param,
          })
        ).executionId,
      );
    }
    const finished = await waitFor('three triggered executions to finish', async () => {
      const page = await stack.api<Page>('GET', `/api/v1/executions?jobId=${jobId}&limit=50`);
      return page.items.filter((e) => e.state === 'succeeded').length === 3
        ? page.items
        : undefined;
    });
    expect(finished).toHaveLength(3);
    expect(finished.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(finished.map((e) => e.result).sort()).toEqual(['echo:a', 'echo:b', 'echo:c']);
    expect(finished.every((e) => e.cause === 'manual')).toBe(true);
  });
});
