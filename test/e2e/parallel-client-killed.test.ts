import type { ClientProcess, LedgerLine } from '@carillon/testkit';
import {
  listAllSubtasks,
  triggerParallelJob,
  waitFor,
  waitForExecutionEnd,
  waitForSubtasksSucceeded,
} from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParallelScenario } from './scenario.js';
import { startParallelScenario } from './scenario.js';

// A client process SIGKILLed in the middle of a 10,000-subtask parallel execution: its subtasks
// go back to pending (next attempt) once the fence interval passed and run on the other clients;
// every subtask completes, none is recorded twice as done, and the execution succeeds.

const ITEMS = 10_000;
const FENCE_MS = 2_000;

/** The subtask runs of `clientId` in `parentId` that started and have not ended. */
function openRuns(lines: LedgerLine[], clientId: string, parentId: string): LedgerLine[] {
  const mine = lines.filter((l) => l.clientId === clientId && l.parentId === parentId);
  const ended = new Set(
    mine.filter((l) => l.event === 'end').map((l) => `${l.executionId}/${l.attempt}`),
  );
  return mine.filter((l) => l.event === 'start' && !ended.has(`${l.executionId}/${l.attempt}`));
}

describe('a client killed during a parallel execution', () => {
  let scenario: ParallelScenario;

  beforeAll(async () => {
    scenario = await startParallelScenario({
      group: 'parallel-kill',
      clientIds: ['k1', 'k2', 'doomed'],
      concurrency: 8,
      server: { fenceMs: FENCE_MS },
    });
  }, 120_000);

  afterAll(() => scenario?.stop());

  it(
    'every subtask completes once in the store, the lost ones on the other clients',
    { timeout: 300_000 },
    async () => {
      const { stack, lines } = scenario;
      const { executionId } = await triggerParallelJob(stack, {
        groupId: scenario.groupId,
        name: 'ten thousand',
        description: 'parallel, a client dies',
        param: JSON.stringify({ items: ITEMS, sleepMs: 40 }),
        maxRetries: 0,
      });
      const doomed = scenario.clients[2] as ClientProcess;
      await waitForSubtasksSucceeded(stack.stores, executionId, ITEMS / 10, {
        what: 'a tenth of the subtasks done',
        timeoutMs: 120_000,
      });
      // Frozen first, so the ledger shows exactly what it holds when it dies: killed between two
      // batches it would hold nothing to lose (the flake of an earlier CI run).
      const held = await waitFor(
        'the doomed client frozen while it runs subtasks',
        async () => {
          doomed.pause();
          const open = openRuns(await lines(), 'doomed', executionId);
          if (open.length > 0) return open;
          doomed.resume();
          return undefined;
        },
        { timeoutMs: 30_000, intervalMs: 10 },
      );
      await doomed.kill();

      const e = await waitForExecutionEnd(stack, executionId, {
        timeoutMs: 240_000,
        intervalMs: 500,
      });
      expect(e.state, e.reason ?? '').toBe('succeeded');

      const subtasks = await listAllSubtasks(stack.stores, executionId);
      expect(subtasks).toHaveLength(ITEMS);
      // The message names the subtasks that did not succeed, should the execution have ended
      // without them (test/e2e/parallel-client-killed did once, in a whole run under heavy load).
      expect(
        subtasks.every((s) => s.state === 'succeeded'),
        JSON.stringify(subtasks.filter((s) => s.state !== 'succeeded').slice(0, 10)),
      ).toBe(true);
      expect(new Set(subtasks.map((s) => s.payload)).size).toBe(ITEMS);

      const mine = (await lines()).filter((l) => l.parentId === executionId);
      const starts = mine.filter((l) => l.event === 'start');
      const ends = mine.filter((l) => l.event === 'end' && l.outcome === 'succeeded');
      // Every subtask's recorded end is a run the ledger shows, on that client at that attempt.
      const runKey = (l: { executionId: string; attempt: number; clientId: string | null }) =>
        `${l.executionId}/${l.attempt}/${l.clientId ?? ''}`;
      const ended = new Set(ends.map(runKey));
      for (const s of subtasks) {
        const key = runKey({ executionId: s.id, attempt: s.attempt, clientId: s.clientId });
        expect(ended.has(key), key).toBe(true);
      }
      // No attempt of a subtask ran twice; a subtask ran again only if the killed client had it.
      const attempts = new Set(starts.map((l) => `${l.executionId}/${l.attempt}`));
      expect(attempts.size).toBe(starts.length);
      const runsById = new Map<string, LedgerLine[]>();
      for (const l of starts)
        runsById.set(l.executionId, [...(runsById.get(l.executionId) ?? []), l]);
      const again = [...runsById.values()].filter((runs) => runs.length > 1);
      for (const runs of again) expect(runs.some((r) => r.clientId === 'doomed')).toBe(true);
      // What the killed client was running ran again elsewhere; at most what it could hold (its
      // concurrency, and what it had been sent but not started) ran twice.
      for (const run of held) {
        const runs = runsById.get(run.executionId) ?? [];
        expect(runs.some((r) => r.clientId !== 'doomed' && r.attempt > run.attempt)).toBe(true);
      }
      expect(again.length).toBeGreaterThanOrEqual(held.length);
      expect(again.length).toBeLessThanOrEqual(8);
      for (const s of subtasks.filter((x) => x.attempt > 1)) expect(s.clientId).not.toBe('doomed');
      // The survivors kept going while the killed client's subtasks waited for the fence.
      expect(new Set(subtasks.map((s) => s.clientId))).toEqual(new Set(['k1', 'k2', 'doomed']));
    },
  );
});
