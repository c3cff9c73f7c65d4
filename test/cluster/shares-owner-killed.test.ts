// The owner of a running sharded fire, then of a running broadcast fire, SIGKILLed mid-fire on a
// real cluster (two `carillon server` processes, ZooKeeper, MariaDB, three client processes):
// their shares run as subtasks, like a parallel job's, so the adopter takes the execution as soon
// as the owner is seen gone and resumes its subtasks; it does not leave the execution to its
// client's Result for the fence interval as it does a sent simple fire (issue 9). Every share
// ends well exactly once in the ledger, and the execution succeeds.
//
// The shares under way at the kill outlast the adoption: written when a server that did not run
// the execution (yet) dropped the Result a client sent it for a share whose stream broke, so a
// share ending before the adoption ran again. Such Results are recorded now (see
// foreign-subtask-results.test.ts, which kills the owner of short shards among three servers).
// Two servers, so that the one other server is the adopter; the killed one is started again
// between the tests.
import { readLedgerLines, waitFor, waitForExecutionEnd } from '@carillon/testkit';
import type { LedgerLine } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everyServerUp, startCluster } from './cluster-kit.js';
import type { ClusterServer, TestCluster } from './cluster-kit.js';

// The default fence interval, said out loud: the wait a sent simple fire is given, which a
// sharded or broadcast fire must not get.
const FENCE_MS = 10_000;
// Kill to adoption is the session timeout (4 s asked by the cluster kit) and the membership
// watch; 10 s of grace on top of it is what this bound catches. Loose: the machine is noisy.
const ADOPTION_BOUND_MS = 8_000;
// How long each share sleeps: past the adoption, so that its Result finds the adopter.
const SHARE_MS = 9_000;

let cluster: TestCluster;
let group: { groupId: string; token: string };

beforeAll(async () => {
  cluster = await startCluster({ servers: 2, serverEnv: { CARILLON_FENCE_MS: String(FENCE_MS) } });
  group = await cluster.createGroup('shares-failover', 2);
  for (const clientId of ['c1', 'c2', 'c3'])
    await cluster.startClient(group.groupId, group.token, clientId, { concurrency: 2 });
}, 180_000);

afterAll(() => cluster?.stop());

async function trigger(job: Record<string, unknown>): Promise<string> {
  await everyServerUp(cluster, group.groupId, 3);
  const { id } = await cluster.api<{ id: number }>('POST', '/api/v1/jobs', {
    groupId: group.groupId,
    description: 'shares failover',
    trigger: { type: 'api' },
    handler: 'sleep',
    maxRetries: 0,
    ...job,
  });
  const { executionId } = await cluster.api<{ executionId: string }>(
    'POST',
    `/api/v1/jobs/${id}/trigger`,
    {},
  );
  return executionId;
}

const linesOf = async (executionId: string): Promise<LedgerLine[]> =>
  (await readLedgerLines(cluster.ledger)).filter((l) => l.parentId === executionId);

/**
 * Kills the execution's owner once `started` shares have started, and times the adoption by
 * watching the row change owner; returns the killed server, the kill and the gap.
 */
async function killOwnerOnceStarted(
  executionId: string,
  started: number,
): Promise<{ owner: ClusterServer; killedAt: number; adoptionMs: number }> {
  await waitFor(
    `${started} shares started`,
    async () =>
      (await linesOf(executionId)).filter((l) => l.event === 'start').length >= started ||
      undefined,
    { timeoutMs: 60_000, intervalMs: 50 },
  );
  const before = await cluster.stores.executions.get(executionId);
  expect(before?.state).toBe('running');
  const owner = cluster.servers.find((s) => s.id === before?.ownerServerId);
  if (owner === undefined) throw new Error(`no live owner: ${JSON.stringify(before)}`);
  const killedAt = await cluster.kill(owner);
  const adoptedAt = await waitFor(
    'the execution to change owner',
    async () => {
      const row = await cluster.stores.executions.get(executionId);
      return row !== undefined && row.ownerServerId !== owner.id ? Date.now() : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 50 },
  );
  return { owner, killedAt, adoptionMs: adoptedAt - killedAt };
}

/** Each share ended well exactly once, at the attempt and on the client the store has. */
async function expectEachShareOnce(executionId: string, count: number): Promise<void> {
  const subtasks = await cluster.stores.subtasks.listByExecution(executionId);
  expect(subtasks).toHaveLength(count);
  expect(
    subtasks.every((s) => s.state === 'succeeded'),
    JSON.stringify(subtasks.filter((s) => s.state !== 'succeeded')),
  ).toBe(true);
  const lines = await linesOf(executionId);
  const ends = lines.filter((l) => l.event === 'end' && l.outcome === 'succeeded');
  expect(ends.map((l) => l.shard?.index).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([
    ...Array(count).keys(),
  ]);
  for (const s of subtasks) {
    const end = ends.find((l) => l.executionId === s.id);
    expect(end?.attempt).toBe(s.attempt);
    expect(end?.clientId).toBe(s.clientId);
  }
  // Nor did any share start twice.
  const starts = lines.filter((l) => l.event === 'start');
  expect(starts.map((l) => l.executionId).sort()).toEqual(subtasks.map((s) => s.id).sort());
}

describe('a sharded or broadcast fire whose owner dies', () => {
  it(
    'a sharded fire is adopted promptly and each shard runs to its end once',
    { timeout: 240_000 },
    async () => {
      const shards = 12;
      const executionId = await trigger({
        name: 'sharded, owner dies',
        param: String(SHARE_MS),
        kind: 'sharded',
        shardCount: shards,
      });
      // Six slots over three clients: two waves of shards, the kill during the first.
      const { owner, killedAt, adoptionMs } = await killOwnerOnceStarted(executionId, 6);
      console.log(
        `shares-owner-killed figures ${JSON.stringify({ kind: 'sharded', adoptionMs, fenceMs: FENCE_MS })}`,
      );
      expect(adoptionMs).toBeLessThan(ADOPTION_BOUND_MS);
      const e = await waitForExecutionEnd(cluster, executionId, { timeoutMs: 120_000 });
      expect(e.state, e.reason ?? '').toBe('succeeded');
      expect(e.ownerServerId).not.toBe(owner.id);
      await expectEachShareOnce(executionId, shards);
      console.log(
        `shares-owner-killed figures ${JSON.stringify({ kind: 'sharded', endedMsAfterKill: (e.finishedAt ?? 0) - killedAt })}`,
      );
    },
  );

  it(
    'a broadcast fire is adopted promptly and each client runs its share to its end once',
    { timeout: 240_000 },
    async () => {
      const executionId = await trigger({
        name: 'broadcast, owner dies',
        param: String(SHARE_MS),
        routing: 'broadcast',
      });
      const { owner, killedAt, adoptionMs } = await killOwnerOnceStarted(executionId, 3);
      console.log(
        `shares-owner-killed figures ${JSON.stringify({ kind: 'broadcast', adoptionMs, fenceMs: FENCE_MS })}`,
      );
      expect(adoptionMs).toBeLessThan(ADOPTION_BOUND_MS);
      const e = await waitForExecutionEnd(cluster, executionId, { timeoutMs: 120_000 });
      expect(e.state, e.reason ?? '').toBe('succeeded');
      expect(e.ownerServerId).not.toBe(owner.id);
      await expectEachShareOnce(executionId, 3);
      console.log(
        `shares-owner-killed figures ${JSON.stringify({ kind: 'broadcast', endedMsAfterKill: (e.finishedAt ?? 0) - killedAt })}`,
      );
    },
  );
});
