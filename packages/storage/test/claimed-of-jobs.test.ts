import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionCause, ExecutionState } from '@carillon/core';
import type { Job } from '@carillon/core';
import type { SqlStores } from '@carillon/storage';
import { testDatabases } from '@carillon/testkit';
import { T0, claimOf } from './fixtures.js';
import { openRivalStores } from './rival-stores.js';

describe.each(testDatabases())('listClaimedOfJobs on $label', (database) => {
  let stores: SqlStores;
  let rival: SqlStores;
  let job: (i: number) => Job;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ stores, rival, job, close } = await openRivalStores(database, 4));
  });

  afterAll(() => close?.());

  it('reads the claimed fires of many jobs from an instant on, oldest first', async () => {
    const at = T0 + 60_000;
    const late = claimOf(job(0), at + 2000);
    const early = claimOf(job(1), at);
    const old = claimOf(job(0), at - 1);
    const sent = claimOf(job(1), at + 1000);
    const otherJob = claimOf(job(3), at);
    await stores.executions.claimFires('s1', [late, old, sent, otherJob], T0);
    await rival.executions.claimFires('s2', [early], T0);
    const fence = { id: sent.id, from: [ExecutionState.Claimed], ownerServerId: 's1', attempt: 1 };
    expect(await stores.executions.transition(fence, ExecutionState.Dispatched)).toBe(true);
    // A manual fire no holder has taken yet is claimed too, with no owner.
    const manual = await stores.executions.insertManual(
      claimOf(job(2), at + 1000, ExecutionCause.Manual),
      T0,
    );

    const found = await rival.executions.listClaimedOfJobs(
      [job(0).id, job(1).id, job(2).id, job(1).id],
      at,
    );
    expect(found.map((e) => [e.id, e.ownerServerId])).toEqual([
      [early.id, 's2'],
      [manual.id, null],
      [late.id, 's1'],
    ]);
    expect(found.every((e) => e.state === ExecutionState.Claimed)).toBe(true);
    expect(await rival.executions.listClaimedOfJobs([], at)).toEqual([]);
  });
});
