import {
  triggerParallelJob,
  waitForExecutionEnd,
  waitForSubtasksSucceeded,
} from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParallelScenario } from './scenario.js';
import { startParallelScenario } from './scenario.js';

// A parallel job pinned by label (`routeLabels`): its first level and every subtask run only on
// clients with that label, spread over all of them, as a pinned simple fire would
// (docs/routing-and-retries.md). Client processes over real gRPC, on SQLite.

describe('parallel jobs honour routing pins', () => {
  let scenario: ParallelScenario;

  beforeAll(async () => {
    scenario = await startParallelScenario({
      group: 'parallel-pins',
      clientIds: ['gpu-1', 'plain', 'gpu-2'],
      concurrency: 4,
      labels: { 'gpu-1': ['gpu'], 'gpu-2': ['gpu'] },
    });
  }, 120_000);

  afterAll(() => scenario?.stop());

  it('runs the first level and every subtask on the labelled clients only', async () => {
    const { executionId } = await triggerParallelJob(scenario.stack, {
      groupId: scenario.groupId,
      name: 'pinned',
      description: 'pinned by label',
      param: JSON.stringify({ items: 60 }),
      routeLabels: ['gpu'],
    });
    const e = await waitForExecutionEnd(scenario.stack, executionId, {
      what: 'the pinned parallel job to end',
      timeoutMs: 60_000,
    });
    expect(e.state).toBe('succeeded');
    expect(['gpu-1', 'gpu-2']).toContain(e.clientId);
    await waitForSubtasksSucceeded(scenario.stack.stores, executionId, 60, {
      what: 'every subtask to succeed',
    });
    const ends = await scenario.endsOf(executionId);
    expect(ends).toHaveLength(60);
    const byClient = new Map<string, number>();
    for (const l of ends) byClient.set(l.clientId, (byClient.get(l.clientId) ?? 0) + 1);
    console.log(`parallel-pins subtasks by client ${JSON.stringify(Object.fromEntries(byClient))}`);
    expect(byClient.get('plain')).toBeUndefined();
    // Spread over both labelled clients, not all on one.
    expect(byClient.get('gpu-1')).toBeGreaterThan(0);
    expect(byClient.get('gpu-2')).toBeGreaterThan(0);
    const stored = await scenario.stack.stores.subtasks.listByExecution(executionId);
    expect(stored.filter((s) => s.clientId === 'plain')).toEqual([]);
  }, 90_000);
});
