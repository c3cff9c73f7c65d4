import type { Execution } from '@carillon/core';
import { testDatabases, waitFor, waitForExecutionEnd } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParallelScenario } from './scenario.js';
import { startParallelScenario } from './scenario.js';

// The seed's parallel task, automated: three client processes (the real SDK over real gRPC),
// a first level that dispatches 100 strings, a second level that logs each, on SQLite and
// MariaDB. Every subtask runs exactly once across the clients (a ledger the processes append
// to), spread over all three, and the execution succeeds.

for (const db of testDatabases()) {
  describe(`a parallel job on ${db.label}`, () => {
    let scenario: ParallelScenario;

    beforeAll(async () => {
      scenario = await startParallelScenario({
        db,
        group: 'parallel',
        clientIds: ['p1', 'p2', 'p3'],
        concurrency: 4,
      });
    }, 120_000);

    afterAll(() => scenario?.stop());

    const createJob = (body: Record<string, unknown>): Promise<{ id: number }> =>
      scenario.stack.api<{ id: number }>('POST', '/api/v1/jobs', {
        groupId: scenario.groupId,
        description: 'the seed parallel job',
        handler: 'parallel-test',
        kind: 'parallel',
        param: 'TestParam',
        ...body,
      });

    it(
      'runs every one of 100 subtasks exactly once, over all three clients (per-second cron)',
      { timeout: 120_000 },
      async () => {
        // The seed's minute cron is accepted; the per-second variant runs the test quickly.
        await createJob({
          name: 'parallel task test',
          trigger: { type: 'cron', cron: '0 0/1 * * * ?', timeZone: 'UTC' },
          enabled: false,
        });
        const { id } = await createJob({
          name: 'parallel task test (per second)',
          trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
        });
        const { stack, endsOf } = scenario;
        const first = await waitFor('a fire of the parallel job', async () => {
          const page = await stack.api<{ items: Execution[] }>(
            'GET',
            `/api/v1/executions?jobId=${id}&limit=10`,
          );
          return page.items.sort((a, b) => a.scheduledAt - b.scheduledAt)[0];
        });
        await stack.api('POST', `/api/v1/jobs/${id}/disable`);
        const execution = await waitForExecutionEnd(stack, first.id, {
          what: 'the parallel execution to end',
          timeoutMs: 60_000,
        });
        expect(execution.state, execution.reason ?? '').toBe('succeeded');

        const counts = await stack.stores.subtasks.countByState(execution.id);
        expect(Object.fromEntries(counts)).toEqual({ succeeded: 100 });
        const subtasks = await stack.stores.subtasks.listByExecution(execution.id);
        expect(new Set(subtasks.map((s) => JSON.parse(s.payload) as string))).toEqual(
          new Set(Array.from({ length: 100 }, (_, i) => `item-${i}`)),
        );
        expect(
          subtasks.every((s) => s.attempt === 1 && s.result === `ok ${JSON.parse(s.payload)}`),
        ).toBe(true);

        const runs = await endsOf(execution.id);
        expect(runs).toHaveLength(100);
        expect(new Set(runs.map((r) => r.executionId)).size).toBe(100);
        expect(runs.every((r) => r.outcome === 'succeeded')).toBe(true);
        const byClient = new Map<string, number>();
        for (const r of runs) byClient.set(r.clientId, (byClient.get(r.clientId) ?? 0) + 1);
        expect([...byClient.keys()].sort()).toEqual(['p1', 'p2', 'p3']);
        // The store agrees with the ledger on where each ran.
        const where = new Map(runs.map((r) => [r.executionId, r.clientId]));
        for (const s of subtasks) expect(s.clientId).toBe(where.get(s.id));

        const logs = await stack.api<{ items: Array<{ message: string }> }>(
          'GET',
          `/api/v1/executions/${execution.id}/logs?limit=1000`,
        );
        expect(logs.items.filter((l) => /got item-\d+$/.test(l.message))).toHaveLength(100);
      },
    );
  });
}
