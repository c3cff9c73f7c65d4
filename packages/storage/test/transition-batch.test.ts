import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionState } from '@carillon/core';
import type { Execution, ExecutionChange, FireClaim, Job } from '@carillon/core';
import { openStores } from '@carillon/storage';
import type { SqlStores } from '@carillon/storage';
import { testDatabases } from '@carillon/testkit';
import { T0, claimOf, seedJobs } from './fixtures.js';

const { Claimed, Dispatched, Running, Succeeded, Skipped } = ExecutionState;
const PER_SET = 300;

/**
 * The changes a server's writer could send for the k-th execution: stale fences (wrong attempt,
 * another owner), several changes of one execution in a row (each must see the one before),
 * a retry at attempt + 1, values that differ by row, and a final result.
 */
function changesFor(k: number, id: string): ExecutionChange[] {
  const fence = (from: ExecutionState, attempt = 1, ownerServerId = 's1') => ({
    id,
    from: [from],
    ownerServerId,
    attempt,
  });
  switch (k % 10) {
    case 0:
      return [{ fence: fence(Claimed, 2), state: Dispatched, patch: { clientId: 'x' } }];
    case 1:
      return [{ fence: fence(Claimed, 1, 's9'), state: Dispatched, patch: { clientId: 'x' } }];
    case 2:
      return [
        { fence: fence(Claimed), state: Dispatched, patch: { clientId: `c${k % 7}` } },
        { fence: fence(Dispatched), state: Running, patch: { startedAt: T0 + k } },
      ];
    case 3:
      return [
        { fence: fence(Claimed), state: Dispatched, patch: { clientId: 'c1' } },
        { fence: fence(Dispatched), state: Claimed, patch: { attempt: 2, clientId: null } },
        { fence: fence(Claimed, 2), state: Dispatched, patch: { clientId: `c${k % 5}` } },
        // Stale: attempt 1 lost its standing two changes ago.
        { fence: fence(Dispatched), state: Running, patch: { startedAt: T0 } },
      ];
    case 4:
      return [{ fence: fence(Claimed), state: Skipped, patch: { reason: `overlap ${k}` } }];
    case 5:
      return [
        { fence: fence(Claimed), state: Dispatched, patch: { clientId: 'c2', dispatchedAt: T0 } },
        { fence: fence(Dispatched), state: Running, patch: { startedAt: T0 + 1 } },
        {
          fence: fence(Running),
          state: Succeeded,
          patch: { finishedAt: T0 + k, result: `{"k":${k}}` },
        },
      ];
    case 6:
      // Stale: not running.
      return [{ fence: fence(Running), state: Succeeded }];
    default:
      return [
        {
          fence: fence(Claimed),
          state: Dispatched,
          patch: { clientId: `c${k % 7}`, dispatchedAt: T0 + k },
        },
      ];
  }
}

const shape = (e: Execution | undefined) => ({
  state: e?.state,
  attempt: e?.attempt,
  ownerServerId: e?.ownerServerId,
  clientId: e?.clientId,
  dispatchedAt: e?.dispatchedAt,
  startedAt: e?.startedAt,
  finishedAt: e?.finishedAt,
  result: e?.result,
  reason: e?.reason,
});

describe.each(testDatabases())('a batch of execution changes on $label', (database) => {
  let stores: SqlStores;
  let jobs: Job[];

  beforeAll(async () => {
    stores = await openStores({ url: await database.create() });
    ({ jobs } = await seedJobs(stores, 2));
  });
  afterAll(async () => {
    await stores?.close();
    await database.drop();
  });

  const claimSet = async (job: Job): Promise<FireClaim[]> => {
    const claims = Array.from({ length: PER_SET }, (_, k) => claimOf(job, T0 + k * 1000));
    for (let i = 0; i < claims.length; i += 100)
      await stores.executions.claimFires('s1', claims.slice(i, i + 100), T0);
    return claims;
  };

  it('applies exactly what the same changes one at a time apply, in one call', async () => {
    const [batched, single] = [await claimSet(jobs[0]!), await claimSet(jobs[1]!)];
    const changes = batched.flatMap((c, k) => changesFor(k, c.id));
    const applied = await stores.executions.transitionMany(changes);
    const expected: boolean[] = [];
    for (const [k, c] of single.entries())
      for (const { fence, state, patch } of changesFor(k, c.id))
        expected.push(await stores.executions.transition(fence, state, patch));
    expect(applied).toEqual(expected);
    // Both outcomes occur, so the comparison says something either way.
    expect(applied.filter(Boolean).length).toBeGreaterThan(PER_SET);
    expect(applied.filter((a) => !a).length).toBeGreaterThanOrEqual((PER_SET / 10) * 3);
    for (let k = 0; k < PER_SET; k++) {
      const [b, s] = [
        await stores.executions.get(batched[k]!.id),
        await stores.executions.get(single[k]!.id),
      ];
      expect(shape(b), `execution ${k}`).toEqual(shape(s));
    }
    // Sent again (a reply lost to a dropped connection): every change that applied says so.
    const again = await stores.executions.transitionMany(
      batched.flatMap((c, k) => {
        const last = changesFor(k, c.id).at(-1)!;
        return k % 10 === 3 || k % 10 === 6 || k % 10 < 2 ? [] : [last];
      }),
    );
    expect(again.every(Boolean)).toBe(true);
  });
});
