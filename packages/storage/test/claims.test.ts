import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CoreErrorCode,
  ExecutionCause,
  ExecutionState,
  UNFINISHED_STATES,
  newExecutionId,
} from '@carillon/core';
import type { FireClaim, Job } from '@carillon/core';
import { openRivalStores } from './rival-stores.js';
import type { SqlStores } from '@carillon/storage';
import { T0, claimOf, withCode } from './fixtures.js';
import { testDatabases } from '@carillon/testkit';

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

describe.each(testDatabases())('claims and fencing on $label', (database) => {
  let stores: SqlStores;
  /** A second instance: its own pool (MariaDB) or its own Database handle (SQLite). */
  let rival: SqlStores;
  let job: (i: number) => Job;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ stores, rival, job, close } = await openRivalStores(database, 17));
  });

  afterAll(() => close?.());

  it('claims a batch larger than one statement, owned by the claimer at attempt 1', async () => {
    const claims = Array.from({ length: 1200 }, (_, i) => claimOf(job(0), T0 + i * 1000));
    const won = await stores.executions.claimFires('s1', claims, T0);
    expect(won.size).toBe(1200);
    const sample = await stores.executions.get(claims[777]?.id ?? '');
    expect(sample).toMatchObject({
      jobId: job(0).id,
      groupId: job(0).groupId,
      scheduledAt: T0 + 777_000,
      state: ExecutionState.Claimed,
      ownerServerId: 's1',
      attempt: 1,
      cause: ExecutionCause.Schedule,
      createdAt: T0,
      cancelRequestedAt: null,
    });
  });

  it('skips duplicates within a batch and against existing rows; same ids are won again', async () => {
    const at = T0 + 10_000_000;
    const first = claimOf(job(1), at);
    const twin = claimOf(job(1), at);
    const other = claimOf(job(1), at + 1000);
    const won = await stores.executions.claimFires('s1', [first, twin, other], T0);
    expect([...won].sort()).toEqual([first.id, other.id].sort());

    const late = await stores.executions.claimFires('s2', [claimOf(job(1), at)], T0);
    expect(late.size).toBe(0);

    // A retry with the same ids (after a lost reply) finds the rows it inserted.
    const again = await stores.executions.claimFires('s1', [first, twin, other], T0);
    expect([...again].sort()).toEqual([first.id, other.id].sort());
    const rows = await stores.executions.listByJobAndStates(job(1).id, [ExecutionState.Claimed]);
    expect(rows.map((r) => r.id).sort()).toEqual([first.id, other.id].sort());
  });

  it('manual fires never collide, with each other or with the schedule', async () => {
    const at = T0 + 20_000_000;
    const scheduled = claimOf(job(2), at);
    const manual = [
      claimOf(job(2), at, ExecutionCause.Manual),
      claimOf(job(2), at, ExecutionCause.Manual),
    ];
    const won = await stores.executions.claimFires('s1', [scheduled, ...manual], T0);
    expect(won.size).toBe(3);
    const a = await stores.executions.insertManual(claimOf(job(2), at, ExecutionCause.Manual), T0);
    const b = await stores.executions.insertManual(claimOf(job(2), at, ExecutionCause.Manual), T0);
    expect([a.ownerServerId, b.ownerServerId]).toEqual([null, null]);
    expect([a.state, b.state]).toEqual([ExecutionState.Claimed, ExecutionState.Claimed]);
    expect(a.id).not.toBe(b.id);
    const unknownJob = { ...claimOf(job(2), at, ExecutionCause.Manual), jobId: 999_999 };
    await expect(stores.executions.insertManual(unknownJob, T0)).rejects.toEqual(
      withCode(CoreErrorCode.NotFound),
    );
    await expect(stores.executions.insertManual(claimOf(job(2), at), T0)).rejects.toEqual(
      withCode(CoreErrorCode.Conflict),
    );
  });

  it('records skipped claims as final, and they hold their instant', async () => {
    const at = T0 + 30_000_000;
    const skipped: FireClaim = {
      ...claimOf(job(3), at, ExecutionCause.Misfire),
      state: 'skipped',
      reason: 'missed',
    };
    expect((await stores.executions.claimFires('s1', [skipped], T0 + 5)).has(skipped.id)).toBe(
      true,
    );
    expect(await stores.executions.get(skipped.id)).toMatchObject({
      state: ExecutionState.Skipped,
      finishedAt: T0 + 5,
      reason: 'missed',
    });
    expect((await rival.executions.claimFires('s2', [claimOf(job(3), at)], T0)).size).toBe(0);
    const last = await stores.executions.lastScheduledAt([job(3).id, job(9).id]);
    expect(last.get(job(3).id)).toBe(at);
    expect(last.has(job(9).id)).toBe(false);
  });

  it('findFires returns the rows of exactly the fires asked for, manual fires aside', async () => {
    const at = T0 + 45_000_000;
    const a = claimOf(job(10), at);
    const b = claimOf(job(11), at + 1000);
    const manual = claimOf(job(10), at + 1000, ExecutionCause.Manual);
    const between = claimOf(job(10), at + 500);
    await stores.executions.claimFires('s1', [a, b, manual, between], T0);
    const found = await rival.executions.findFires([
      { jobId: job(10).id, scheduledAt: at },
      { jobId: job(10).id, scheduledAt: at + 1000 },
      { jobId: job(11).id, scheduledAt: at + 1000 },
      { jobId: job(7).id, scheduledAt: at },
    ]);
    expect(found.map((e) => e.id).sort()).toEqual([a.id, b.id].sort());
    expect(await rival.executions.findFires([])).toEqual([]);
  });

  it('countFiresInHand counts exactly the fires asked for that need no standby', async () => {
    const at = T0 + 46_000_000;
    const own = claimOf(job(12), at);
    const peers = claimOf(job(13), at);
    const dispatched = claimOf(job(14), at);
    const givenUp = claimOf(job(15), at);
    const other = claimOf(job(16), at + 1000);
    await stores.executions.claimFires('s2', [own, other], T0);
    await stores.executions.claimFires('s1', [peers, dispatched, givenUp], T0);
    const fence = (c: FireClaim) => ({
      id: c.id,
      from: [ExecutionState.Claimed],
      ownerServerId: 's1',
      attempt: 1,
    });
    expect(await stores.executions.transition(fence(dispatched), ExecutionState.Dispatched)).toBe(
      true,
    );
    expect(
      await stores.executions.transition(fence(givenUp), ExecutionState.Claimed, {
        ownerServerId: null,
      }),
    ).toBe(true);
    const fire = (c: FireClaim, scheduledAt = c.scheduledAt) => ({ jobId: c.jobId, scheduledAt });
    const count = (fires: readonly { jobId: number; scheduledAt: number }[]) =>
      rival.executions.countFiresInHand('s2', fires);
    // Its own claim, a dispatched row and an unowned one are in hand; a peer's claim is not.
    expect(await count([own, peers, dispatched, givenUp].map((c) => fire(c)))).toBe(3);
    // Exact pairs: job 16's row at the next second does not stand in for its missing one at
    // `at`, nor does job 12's row at `at` for its missing one at the next second.
    expect(await count([fire(other, at), fire(own, at + 1000), fire(other)])).toBe(1);
    expect(await count([fire(dispatched), fire(other)])).toBe(2);
    expect(await count([])).toBe(0);
    await expect(count([{ jobId: 1.5, scheduledAt: at }])).rejects.toEqual(
      withCode(CoreErrorCode.InvalidArgument),
    );
  });

  it('lastScheduledAt ignores manual fires', async () => {
    const at = T0 + 40_000_000;
    await stores.executions.claimFires('s1', [claimOf(job(4), at)], T0);
    await stores.executions.claimFires(
      's1',
      [claimOf(job(4), at + 5000, ExecutionCause.Manual)],
      T0,
    );
    expect((await stores.executions.lastScheduledAt([job(4).id])).get(job(4).id)).toBe(at);
  });

  it('RACE: two claimers of the same 1,000 fires: exactly one winner per fire', async () => {
    const instants = Array.from({ length: 1000 }, (_, i) => T0 + 50_000_000 + i * 1000);
    // Each claimer makes its own ids for the same fires, as two holders would.
    const mine = instants.map((at) => claimOf(job(5), at));
    const theirs = instants.map((at) => claimOf(job(5), at)).reverse();
    const results = await Promise.all([
      ...batches(mine, 100).map((b) => stores.executions.claimFires('s1', b, T0)),
      ...batches(theirs, 100).map((b) => rival.executions.claimFires('s2', b, T0)),
    ]);
    const wonByS1 = new Set(results.slice(0, 10).flatMap((r) => [...r]));
    const wonByS2 = new Set(results.slice(10).flatMap((r) => [...r]));
    const winners = instants.map((_, i) => {
      const a = wonByS1.has(mine[i]?.id ?? '');
      const b = wonByS2.has(theirs[999 - i]?.id ?? '');
      return (a ? 1 : 0) + (b ? 1 : 0);
    });
    expect(winners.every((n) => n === 1)).toBe(true);
    expect(wonByS1.size + wonByS2.size).toBe(1000);
    const stored = await stores.executions.listByJobAndStates(job(5).id, [ExecutionState.Claimed]);
    expect(stored).toHaveLength(1000);
    for (const e of stored) {
      expect(e.ownerServerId).toBe(wonByS1.has(e.id) ? 's1' : 's2');
      expect(wonByS1.has(e.id) || wonByS2.has(e.id)).toBe(true);
    }
  });

  it('rejects a transition from a state the execution is not in, and forbidden steps', async () => {
    const claim = claimOf(job(9), T0 + 80_000_000);
    await stores.executions.claimFires('s1', [claim], T0);
    const wrong = { id: claim.id, from: [ExecutionState.Running], ownerServerId: 's1', attempt: 1 };
    expect(await stores.executions.transition(wrong, ExecutionState.Succeeded)).toBe(false);
    expect((await stores.executions.get(claim.id))?.state).toBe(ExecutionState.Claimed);
    const forbidden = {
      id: claim.id,
      from: [ExecutionState.Claimed],
      ownerServerId: 's1',
      attempt: 1,
    };
    await expect(stores.executions.transition(forbidden, ExecutionState.Succeeded)).rejects.toEqual(
      withCode(CoreErrorCode.InvalidTransition),
    );
    await expect(
      stores.executions.transition(forbidden, ExecutionState.Dispatched, { attempt: 3 }),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidArgument));

    // Re-dispatch: dispatched → claimed with attempt + 1, then the old attempt is fenced out.
    await stores.executions.transition(forbidden, ExecutionState.Dispatched);
    const dispatched = { ...forbidden, from: [ExecutionState.Dispatched] };
    expect(
      await stores.executions.transition(dispatched, ExecutionState.Claimed, {
        attempt: 2,
        cause: ExecutionCause.Retry,
      }),
    ).toBe(true);
    expect(await stores.executions.transition(forbidden, ExecutionState.Dispatched)).toBe(false);
    const second = { ...forbidden, attempt: 2 };
    expect(await stores.executions.transition(second, ExecutionState.Dispatched)).toBe(true);
    // A fenced patch that keeps the state: progress while running.
    const running = { ...second, from: [ExecutionState.Dispatched] };
    expect(
      await stores.executions.transition(running, ExecutionState.Running, { startedAt: T0 + 3 }),
    ).toBe(true);
    const progress = { ...second, from: [ExecutionState.Running] };
    expect(
      await stores.executions.transition(progress, ExecutionState.Running, { progress: 0.5 }),
    ).toBe(true);
    expect(
      await stores.executions.transition(progress, ExecutionState.Succeeded, {
        finishedAt: T0 + 9,
        result: '{"ok":true}',
      }),
    ).toBe(true);
    expect(await stores.executions.get(claim.id)).toMatchObject({
      state: 'succeeded',
      attempt: 2,
      cause: 'retry',
      progress: 0.5,
      startedAt: T0 + 3,
      finishedAt: T0 + 9,
      result: '{"ok":true}',
    });
  });

  it('rejects a fence naming another owner, even at the right state and attempt', async () => {
    const claim = claimOf(job(9), T0 + 85_000_000);
    await rival.executions.claimFires('s2', [claim], T0);
    const intruder = {
      id: claim.id,
      from: [ExecutionState.Claimed],
      ownerServerId: 's1',
      attempt: 1,
    };
    expect(await stores.executions.transition(intruder, ExecutionState.Dispatched)).toBe(false);
    expect(
      await stores.executions.transitionMany([
        { fence: intruder, state: ExecutionState.Cancelled },
      ]),
    ).toEqual([false]);
    expect(await stores.executions.get(claim.id)).toMatchObject({
      state: 'claimed',
      ownerServerId: 's2',
    });
  });

  it('applies a batch of transitions in order, each fenced on its own', async () => {
    const [a, b] = [claimOf(job(9), T0 + 86_000_000), claimOf(job(9), T0 + 86_001_000)];
    await stores.executions.claimFires('s1', [a, b], T0);
    const fence = (id: string, from: ExecutionState) => ({
      id,
      from: [from],
      ownerServerId: 's1',
      attempt: 1,
    });
    const applied = await stores.executions.transitionMany([
      {
        fence: fence(a.id, ExecutionState.Claimed),
        state: ExecutionState.Dispatched,
        patch: { clientId: 'c1' },
      },
      // Sees the change before it in the same batch.
      {
        fence: fence(a.id, ExecutionState.Dispatched),
        state: ExecutionState.Running,
        patch: { startedAt: T0 + 1 },
      },
      // Stale: b is not running.
      { fence: fence(b.id, ExecutionState.Running), state: ExecutionState.Succeeded },
      {
        fence: fence(b.id, ExecutionState.Claimed),
        state: ExecutionState.Skipped,
        patch: { reason: 'overlap' },
      },
    ]);
    expect(applied).toEqual([true, true, false, true]);
    expect(await stores.executions.get(a.id)).toMatchObject({
      state: 'running',
      clientId: 'c1',
      startedAt: T0 + 1,
    });
    expect(await stores.executions.get(b.id)).toMatchObject({
      state: 'skipped',
      reason: 'overlap',
    });
    await expect(
      stores.executions.transitionMany([
        { fence: fence(a.id, ExecutionState.Running), state: ExecutionState.Succeeded },
        { fence: fence(b.id, ExecutionState.Skipped), state: ExecutionState.Running },
      ]),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidTransition));
    expect((await stores.executions.get(a.id))?.state).toBe('running');
    expect(await stores.executions.transitionMany([])).toEqual([]);
  });

  it('a change tried again after it committed answers true; a lost fence still false', async () => {
    const claim = claimOf(job(9), T0 + 87_000_000);
    await stores.executions.claimFires('s1', [claim], T0);
    const fence = { id: claim.id, from: [ExecutionState.Claimed], ownerServerId: 's1', attempt: 1 };
    const change = { fence, state: ExecutionState.Dispatched, patch: { clientId: 'c1' } };
    // The second try is what a writer sends when the reply to the first was lost.
    expect(await stores.executions.transitionMany([change])).toEqual([true]);
    expect(await stores.executions.transitionMany([change])).toEqual([true]);
    expect(await stores.executions.transition(fence, ExecutionState.Dispatched)).toBe(true);
    const running = { ...fence, from: [ExecutionState.Dispatched] };
    const retry = { patch: { attempt: 2, clientId: null }, state: ExecutionState.Claimed };
    expect(await stores.executions.transition(running, retry.state, retry.patch)).toBe(true);
    // Attempt 1 has lost its standing: neither the old change nor a new one applies.
    expect(await stores.executions.transitionMany([change])).toEqual([false]);
    expect(
      await stores.executions.transition(running, ExecutionState.Running, { startedAt: T0 }),
    ).toBe(false);
    expect(await stores.executions.get(claim.id)).toMatchObject({ state: 'claimed', attempt: 2 });
  });

  it('asks an owner to cancel, once, and lists what it must cancel', async () => {
    const claim = claimOf(job(9), T0 + 90_000_000);
    await stores.executions.claimFires('s3', [claim], T0);
    const marked = await stores.executions.requestCancel(claim.id, T0 + 10);
    expect(marked?.cancelRequestedAt).toBe(T0 + 10);
    expect((await stores.executions.requestCancel(claim.id, T0 + 20))?.cancelRequestedAt).toBe(
      T0 + 10,
    );
    expect((await stores.executions.listCancelRequested('s3')).map((e) => e.id)).toEqual([
      claim.id,
    ]);
    expect(await stores.executions.listCancelRequested('s1')).toEqual([]);
    expect(await stores.executions.requestCancel(newExecutionId(T0), T0)).toBeUndefined();
    const unfinished = await stores.executions.listUnfinishedByOwner('s3');
    expect(unfinished.every((e) => UNFINISHED_STATES.includes(e.state))).toBe(true);
    expect(unfinished.map((e) => e.id)).toEqual([claim.id]);
  });

  it('validates claims before writing', async () => {
    const good = claimOf(job(0), T0 + 99_000_000);
    await expect(stores.executions.claimFires('s'.repeat(129), [good], T0)).rejects.toEqual(
      withCode(CoreErrorCode.InvalidArgument),
    );
    await expect(
      stores.executions.claimFires('s1', [{ ...good, id: 'not-a-uuid' }], T0),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidArgument));
    await expect(
      stores.executions.claimFires('s1', [{ ...good, param: 'x'.repeat(64 * 1024 + 1) }], T0),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidArgument));
    await expect(stores.executions.claimFires('s1', [good, good], T0)).rejects.toEqual(
      withCode(CoreErrorCode.InvalidArgument),
    );
    expect(await stores.executions.get(good.id)).toBeUndefined();
  });
});
