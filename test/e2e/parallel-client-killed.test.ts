import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Execution } from '@carillon/core';
import type { ClientProcess, LedgerLine, Stack } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A client process SIGKILLed in the middle of a 10,000-subtask parallel execution: its subtasks
// go back to pending (next attempt) once the fence interval passed and run on the other clients;
// every subtask completes, none is recorded twice as done, and the execution succeeds.

const ITEMS = 10_000;
const FENCE_MS = 2_000;
const db = testDatabases().find((d) => d.label === 'sqlite');

/** The subtask runs of `clientId` in `parentId` that started and have not ended. */
function openRuns(lines: LedgerLine[], clientId: string, parentId: string): LedgerLine[] {
  const mine = lines.filter((l) => l.clientId === clientId && l.parentId === parentId);
  const ended = new Set(
    mine.filter((l) => l.event === 'end').map((l) => `${l.executionId}/${l.attempt}`),
  );
  return mine.filter((l) => l.event === 'start' && !ended.has(`${l.executionId}/${l.attempt}`));
}

describe('a client killed during a parallel execution', () => {
  let stack: Stack;
  let groupId: string;
  let clientToken: string;
  const clients: ClientProcess[] = [];
  const ledger = join(mkdtempSync(join(tmpdir(), 'carillon-parallel-')), 'ledger.jsonl');

  const lines = async (): Promise<LedgerLine[]> =>
    (await readFile(ledger, 'utf8').catch(() => ''))
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as LedgerLine);

  beforeAll(async () => {
    if (db === undefined) throw new Error('no SQLite test database');
    stack = await startStack({ dbUrl: await db.create(), server: { fenceMs: FENCE_MS } });
    ({ groupId, clientToken } = await stack.createGroup('parallel-kill'));
    for (const clientId of ['k1', 'k2', 'doomed']) {
      clients.push(
        await startClientProcess({
          console: stack.consoleUrl,
          group: groupId,
          token: clientToken,
          clientId,
          concurrency: 8,
          ledger,
        }),
      );
    }
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) await client.stop().catch(() => undefined);
    await stack?.stop();
    await db?.drop();
  });

  it(
    'every subtask completes once in the store, the lost ones on the other clients',
    { timeout: 300_000 },
    async () => {
      const { id } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
        groupId,
        name: 'ten thousand',
        description: 'parallel, a client dies',
        trigger: { type: 'api' },
        handler: 'parallel-test',
        kind: 'parallel',
        param: JSON.stringify({ items: ITEMS, sleepMs: 40 }),
        maxRetries: 0,
      });
      const { executionId } = await stack.api<{ executionId: string }>(
        'POST',
        `/api/v1/jobs/${id}/trigger`,
        {},
      );
      const doomed = clients[2] as ClientProcess;
      await waitFor(
        'a tenth of the subtasks done',
        async () => {
          const counts = await stack.stores.subtasks.countByState(executionId);
          return (counts.get('succeeded') ?? 0) >= ITEMS / 10;
        },
        { timeoutMs: 120_000 },
      );
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

      const e = await waitFor(
        'the execution to end',
        async () => {
          const x = await stack.api<Execution>('GET', `/api/v1/executions/${executionId}`);
          return ['claimed', 'dispatched', 'running'].includes(x.state) ? undefined : x;
        },
        { timeoutMs: 240_000, intervalMs: 500 },
      );
      expect(e.state, e.reason ?? '').toBe('succeeded');

      const subtasks = [];
      for (let after = 0; ;) {
        const page = await stack.stores.subtasks.listByExecution(executionId, { afterSeq: after });
        subtasks.push(...page);
        if (page.length < 1000) break;
        after = page[page.length - 1]?.seq ?? after;
      }
      expect(subtasks).toHaveLength(ITEMS);
      expect(subtasks.every((s) => s.state === 'succeeded')).toBe(true);
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
