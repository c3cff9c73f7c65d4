// A sharded fire with short shards whose owner is SIGKILLed mid-fire, on a real cluster of three
// `carillon server` processes (ZooKeeper, MariaDB, three client processes, each job held by two
// servers). The shards that end between the kill and the adoption (the ZooKeeper session, ~4 s)
// have their Results sent by the clients to another server of the group: the adopter-to-be, or
// the third server that does not hold the job and never will drive it. Either records them under
// the execution's fence (issue 9), so the adopter finds them done and no shard runs twice; the
// execution succeeds. Before, such a Result was dropped and its shard ran again after the fence
// interval (shares-owner-killed uses 9 s shards and two servers to stay clear of it).
// A second fire has shards that end just after the adoption: a Result that then reaches the
// third server is recorded under the adopter's fence, and the adopter, whose put-back of that
// shard after the fence interval is refused, must still end the execution.
import { readLedgerLines, waitFor, waitForExecutionEnd } from '@carillon/testkit';
import type { Execution } from '@carillon/core';
import type { LedgerLine } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everyServerUp, startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';

// The default fence interval, said out loud: a dropped Result costs its shard this much and a
// second run.
const FENCE_MS = 10_000;

let cluster: TestCluster;
let group: { groupId: string; token: string };

beforeAll(async () => {
  cluster = await startCluster({ servers: 3, serverEnv: { CARILLON_FENCE_MS: String(FENCE_MS) } });
  group = await cluster.createGroup('foreign-subtasks', 2);
  for (const clientId of ['c1', 'c2', 'c3'])
    await cluster.startClient(group.groupId, group.token, clientId, { concurrency: 2 });
}, 180_000);

afterAll(() => cluster?.stop());

const linesOf = async (executionId: string): Promise<LedgerLine[]> =>
  (await readLedgerLines(cluster.ledger)).filter((l) => l.parentId === executionId);

/** A sharded job of `shards` shards, each sleeping `shardMs`. */
const sharded = (shardMs: number, shards: number): Record<string, unknown> => ({
  handler: 'sleep',
  param: String(shardMs),
  kind: 'sharded',
  shardCount: shards,
});

/**
 * Fires `job` (its subtasks `shards` in number), kills its owner once six subtasks have started,
 * and checks that each ended well once and the execution succeeded; resolves with it.
 */
async function ownerKilledMidFire(
  name: string,
  job: Record<string, unknown>,
  shards: number,
): Promise<Execution> {
  await everyServerUp(cluster, group.groupId, 3);
  const { id } = await cluster.api<{ id: number }>('POST', '/api/v1/jobs', {
    groupId: group.groupId,
    name,
    description: 'foreign subtask results',
    trigger: { type: 'api' },
    maxRetries: 0,
    ...job,
  });
  const { executionId } = await cluster.api<{ executionId: string }>(
    'POST',
    `/api/v1/jobs/${id}/trigger`,
    {},
  );
  // Six slots over three clients: the kill during the first wave of shards.
  await waitFor(
    'six shards started',
    async () =>
      (await linesOf(executionId)).filter((l) => l.event === 'start').length >= 6 || undefined,
    { timeoutMs: 60_000, intervalMs: 50 },
  );
  const before = await cluster.stores.executions.get(executionId);
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

  const e = await waitForExecutionEnd(cluster, executionId, { timeoutMs: 120_000 });
  const subtasks = await cluster.stores.subtasks.listByExecution(executionId);
  const lines = await linesOf(executionId);
  const ends = lines.filter((l) => l.event === 'end' && l.outcome === 'succeeded');
  const endsOf = new Map<string, LedgerLine[]>();
  for (const l of ends) endsOf.set(l.executionId, [...(endsOf.get(l.executionId) ?? []), l]);
  const twice = [...endsOf.values()]
    .filter((l) => l.length > 1)
    .map((l) => ({
      shard: l[0]?.shard?.index,
      ends: l.map((x) => ({
        attempt: x.attempt,
        clientId: x.clientId,
        msAfterKill: x.at - killedAt,
      })),
    }));
  console.log(
    `foreign-subtask-results figures ${JSON.stringify({
      name,
      adoptionMs: adoptedAt - killedAt,
      endedMsAfterKill: (e.finishedAt ?? 0) - killedAt,
      state: e.state,
      endedWellTwice: twice.length,
      adopter: e.ownerServerId,
      killed: owner.id,
      // The servers' own word for each Result they recorded for another server's subtask.
      recordedElsewhere: cluster
        .logs()
        .split('\n')
        .filter((l) => l.includes('recorded a subtask result sent here'))
        .map((l) => /"serverId":"([^"]*)"/.exec(l)?.[1] ?? '?'),
    })}`,
  );
  if (twice.length > 0) console.log(`shards ended well twice: ${JSON.stringify(twice)}`);

  expect(e.state, e.reason ?? '').toBe('succeeded');
  expect(e.ownerServerId).not.toBe(owner.id);
  expect(subtasks).toHaveLength(shards);
  expect(
    subtasks.every((s) => s.state === 'succeeded'),
    JSON.stringify(subtasks.filter((s) => s.state !== 'succeeded')),
  ).toBe(true);
  expect(twice, JSON.stringify(twice)).toEqual([]);
  // Each shard's one good end is the attempt and client the store recorded.
  for (const s of subtasks) {
    const end = endsOf.get(s.id)?.[0];
    expect(end?.attempt, s.id).toBe(s.attempt);
    expect(end?.clientId, s.id).toBe(s.clientId);
  }
  return e;
}

describe('a subtask Result that reaches a server other than its execution owner', () => {
  it(
    'is recorded there before the adoption: no shard ends well twice, the execution succeeds',
    { timeout: 240_000 },
    // Shorter than kill to adoption: the shards under way at the kill end before it.
    async () => {
      await ownerKilledMidFire('short shards, owner dies', sharded(1_500, 18), 18);
    },
  );

  it(
    'is recorded there after the adoption, and the adopter still ends the execution',
    { timeout: 240_000 },
    // Six shards, all started at the kill, ending a little after the adoption.
    async () => {
      await ownerKilledMidFire('shards ending after the adoption', sharded(6_000, 6), 6);
    },
  );

  it(
    'a parallel job with a reduce: no subtask ends well twice, the reduce sees each result once',
    { timeout: 240_000 },
    async () => {
      const e = await ownerKilledMidFire(
        'short subtasks with a reduce, owner dies',
        {
          handler: 'parallel-reduce',
          kind: 'parallel',
          param: JSON.stringify({ items: 18, sleepMs: 1_500, quiet: true }),
        },
        18,
      );
      expect(e.result).toBe('18 done, 18 succeeded');
    },
  );
});
