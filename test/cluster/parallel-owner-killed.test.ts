// A parallel execution's owner SIGKILLed mid-run on a real cluster (two `carillon server`
// processes, ZooKeeper, MariaDB, three client processes): the other holder adopts the execution,
// resumes its subtasks from the store (pending ones, and those the dead owner had sent, which
// get the fence interval to report), and the execution succeeds with every subtask done once.
import {
  listAllSubtasks,
  readLedgerLines,
  triggerParallelJob,
  waitForExecutionEnd,
  waitForSubtasksSucceeded,
} from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';

const ITEMS = 10_000;
let cluster: TestCluster;
let group: { groupId: string; token: string };

beforeAll(async () => {
  cluster = await startCluster({ servers: 2, serverEnv: { CARILLON_FENCE_MS: '2000' } });
  group = await cluster.createGroup('parallel-failover', 2);
  for (const clientId of ['c1', 'c2', 'c3'])
    await cluster.startClient(group.groupId, group.token, clientId);
}, 180_000);

afterAll(() => cluster?.stop());

describe('a parallel execution whose owner dies', () => {
  it('is adopted and finishes, every subtask done once in the store', async () => {
    const { executionId } = await triggerParallelJob(cluster, {
      groupId: group.groupId,
      name: 'ten thousand, owner dies',
      description: 'parallel failover',
      param: JSON.stringify({ items: ITEMS, sleepMs: 400 }),
      maxRetries: 0,
    });
    await waitForSubtasksSucceeded(cluster.stores, executionId, ITEMS / 10, {
      what: 'a tenth of the subtasks done',
      timeoutMs: 120_000,
    });
    const before = await cluster.stores.executions.get(executionId);
    const owner = cluster.servers.find((s) => s.id === before?.ownerServerId);
    if (owner === undefined) throw new Error('no owner');
    const killedAt = await cluster.kill(owner);

    const e = await waitForExecutionEnd(cluster, executionId, {
      timeoutMs: 150_000,
      intervalMs: 500,
    }).catch(async (error: unknown) => {
      // What was left, for the failure's message.
      const x = await cluster.stores.executions.get(executionId);
      const counts = await cluster.stores.subtasks.countByState(executionId);
      const survivor = cluster.servers.find((s) => s.id !== owner.id);
      throw new Error(
        `${String(error)}; execution ${JSON.stringify(x)}; subtasks ${JSON.stringify(Object.fromEntries(counts))}; survivor log: ${survivor?.process.output().slice(-4000) ?? ''}`,
      );
    });
    expect(e.state, e.reason ?? '').toBe('succeeded');
    expect(e.ownerServerId, JSON.stringify({ e, killedAt, before })).not.toBe(owner.id);

    const subtasks = await listAllSubtasks(cluster.stores, executionId);
    expect(subtasks).toHaveLength(ITEMS);
    // The message names the subtasks that did not succeed, should the execution have ended
    // without them (test/e2e/parallel-client-killed did once, in a whole run under heavy load).
    expect(
      subtasks.every((s) => s.state === 'succeeded'),
      JSON.stringify(subtasks.filter((s) => s.state !== 'succeeded').slice(0, 10)),
    ).toBe(true);

    const mine = (await readLedgerLines(cluster.ledger)).filter((l) => l.parentId === executionId);
    const starts = mine.filter((l) => l.event === 'start');
    const key = (id: string, attempt: number, client: string | null) =>
      `${id}/${attempt}/${client ?? ''}`;
    const ended = new Set(
      mine
        .filter((l) => l.event === 'end' && l.outcome === 'succeeded')
        .map((l) => key(l.executionId, l.attempt, l.clientId)),
    );
    for (const s of subtasks) expect(ended.has(key(s.id, s.attempt, s.clientId))).toBe(true);
    // No attempt ran twice; a subtask ran again only when an attempt was under way at the kill.
    expect(new Set(starts.map((l) => `${l.executionId}/${l.attempt}`)).size).toBe(starts.length);
    const firstStart = new Map<string, number>();
    const runs = new Map<string, number>();
    for (const l of starts) {
      firstStart.set(l.executionId, Math.min(firstStart.get(l.executionId) ?? Infinity, l.at));
      runs.set(l.executionId, (runs.get(l.executionId) ?? 0) + 1);
    }
    const again = [...runs].filter(([, n]) => n > 1).map(([sid]) => sid);
    for (const sid of again) expect(firstStart.get(sid)).toBeLessThan(killedAt + 1_000);
    console.log(
      `parallel-owner-killed figures ${JSON.stringify({ subtasks: subtasks.length, ranAgain: again.length, tookMs: (e.finishedAt ?? 0) - killedAt })}`,
    );
  }, 360_000);
});
