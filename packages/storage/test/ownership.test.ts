import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionCause, ExecutionState } from '@carillon/core';
import type { Job } from '@carillon/core';
import { openRivalStores } from './rival-stores.js';
import type { SqlStores } from '@carillon/storage';
import { T0, claimOf, withCode } from './fixtures.js';
import { testDatabases } from '@carillon/testkit';

// Who owns an execution, and how that changes: unowned fires taken, a departed server's
// executions adopted (claimed ones at the next attempt, in-flight ones at the same attempt),
// a claimed one given up, and the fences that keep a stale owner or another client out.

describe.each(testDatabases())('ownership of executions on $label', (database) => {
  let stores: SqlStores;
  /** A second instance: its own pool (MariaDB) or its own Database handle (SQLite). */
  let rival: SqlStores;
  let job: (i: number) => Job;
  let close: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ stores, rival, job, close } = await openRivalStores(database, 12));
  });

  afterAll(() => close?.());

  it('RACE: two takeUnowned calls take each unowned execution exactly once', async () => {
    const manual = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        stores.executions.insertManual(claimOf(job(6), T0 + i, ExecutionCause.Manual), T0),
      ),
    );
    const [a, b] = await Promise.all([
      stores.executions.takeUnowned('s1', [job(6).id]),
      rival.executions.takeUnowned('s2', [job(6).id]),
    ]);
    const ids = [...a, ...b].map((e) => e.id).sort();
    expect(ids).toEqual(manual.map((e) => e.id).sort());
    expect(a.every((e) => e.ownerServerId === 's1')).toBe(true);
    expect(b.every((e) => e.ownerServerId === 's2')).toBe(true);
    const stored = await stores.executions.listByJobAndStates(job(6).id, [ExecutionState.Claimed]);
    expect(stored.filter((e) => e.ownerServerId === null)).toEqual([]);
    expect(await stores.executions.takeUnowned('s1', [job(6).id])).toEqual([]);
  });

  it('adoptOrphans with claimedIds takes only those, and only while never dispatched', async () => {
    const at = T0 + 61_000_000;
    const sent = claimOf(job(11), at);
    const stuck = claimOf(job(11), at + 1000);
    const other = claimOf(job(11), at + 2000);
    await stores.executions.claimFires('gone', [sent, stuck, other], T0);
    await stores.executions.transition(
      { id: sent.id, from: [ExecutionState.Claimed], ownerServerId: 'gone', attempt: 1 },
      ExecutionState.Dispatched,
      { clientId: 'c1', dispatchedAt: at },
    );
    const adopted = await rival.executions.adoptOrphans(
      'gone',
      's2',
      [job(11).id],
      [sent.id, stuck.id],
    );
    expect(adopted.map((e) => [e.id, e.ownerServerId, e.attempt])).toEqual([[stuck.id, 's2', 2]]);
    expect((await stores.executions.get(sent.id))?.ownerServerId).toBe('gone');
    expect((await stores.executions.get(other.id))?.ownerServerId).toBe('gone');
    expect(await rival.executions.adoptOrphans('gone', 's2', [job(11).id], [])).toEqual([]);
  });

  it('adoptInFlight moves in-flight executions at the same attempt, once, and again after a lost reply', async () => {
    const at = T0 + 62_000_000;
    const [dispatched, running, claimed] = [0, 1000, 2000].map((d) => claimOf(job(11), at + d));
    await stores.executions.claimFires('gone', [dispatched!, running!, claimed!], T0);
    for (const c of [dispatched!, running!])
      await stores.executions.transition(
        { id: c.id, from: [ExecutionState.Claimed], ownerServerId: 'gone', attempt: 1 },
        ExecutionState.Dispatched,
        { clientId: 'c1', dispatchedAt: at },
      );
    await stores.executions.transition(
      { id: running!.id, from: [ExecutionState.Dispatched], ownerServerId: 'gone', attempt: 1 },
      ExecutionState.Running,
      { startedAt: at },
    );
    const ids = [dispatched!.id, running!.id, claimed!.id];
    // Two adopters at once: each in-flight row goes to one of them; a claimed one to neither.
    const [a, b] = await Promise.all([
      stores.executions.adoptInFlight('gone', 's1', ids),
      rival.executions.adoptInFlight('gone', 's2', ids),
    ]);
    const moved = [...a, ...b];
    expect(moved.map((e) => e.id).sort()).toEqual([dispatched!.id, running!.id].sort());
    expect(moved.map((e) => [e.attempt, e.clientId])).toEqual([
      [1, 'c1'],
      [1, 'c1'],
    ]);
    expect(moved.map((e) => e.state).sort()).toEqual(['dispatched', 'running']);
    expect((await stores.executions.get(claimed!.id))?.ownerServerId).toBe('gone');
    // The winner asks again (its reply was lost): the same rows; the loser still gets none.
    const winner = a.length > 0 ? 's1' : 's2';
    const again = await stores.executions.adoptInFlight('gone', winner, ids);
    expect(again.map((e) => e.id).sort()).toEqual(moved.map((e) => e.id).sort());
    const loser = winner === 's1' ? 's2' : 's1';
    expect(
      (await rival.executions.adoptInFlight('gone', loser, ids)).filter((e) =>
        moved.some((m) => m.id === e.id),
      ),
    ).toEqual([]);
    // The old owner is fenced out; the new one records the Result at the same attempt.
    const stale = {
      id: running!.id,
      from: [ExecutionState.Running],
      ownerServerId: 'gone',
      attempt: 1,
    };
    expect(
      await stores.executions.transition(stale, ExecutionState.Succeeded, { finishedAt: at + 5 }),
    ).toBe(false);
    expect(
      await stores.executions.transition(
        { ...stale, ownerServerId: winner },
        ExecutionState.Succeeded,
        { finishedAt: at + 5 },
      ),
    ).toBe(true);
    await expect(stores.executions.adoptInFlight('gone', 's1', ['not-a-uuid'])).rejects.toThrow(
      withCode('CARILLON_INVALID_ARGUMENT'),
    );
  });

  it('a claimed execution given up (owner null) is taken by a holder; a batch sees the change', async () => {
    const claim = claimOf(job(11), T0 + 63_000_000);
    await stores.executions.claimFires('s1', [claim], T0);
    const fence = { id: claim.id, from: [ExecutionState.Claimed], ownerServerId: 's1', attempt: 1 };
    await expect(
      stores.executions.transition(fence, ExecutionState.Claimed, {
        ownerServerId: 's2' as unknown as null,
      }),
    ).rejects.toThrow(withCode('CARILLON_INVALID_ARGUMENT'));
    // In one batch: the give-up, then a change under the old owner's fence, which must fail.
    expect(
      await stores.executions.transitionMany([
        { fence, state: ExecutionState.Claimed, patch: { ownerServerId: null, reason: 'moved' } },
        { fence, state: ExecutionState.Dispatched, patch: { clientId: 'c1' } },
      ]),
    ).toEqual([true, false]);
    expect(await stores.executions.get(claim.id)).toMatchObject({
      ownerServerId: null,
      state: 'claimed',
      reason: 'moved',
    });
    const taken = await rival.executions.takeUnowned('s2', [job(11).id]);
    expect(taken.map((e) => [e.id, e.ownerServerId])).toEqual([[claim.id, 's2']]);
  });

  it('a fence that names a client holds only while the execution is on that client', async () => {
    const [a, b] = [0, 1000].map((d) => claimOf(job(11), T0 + 64_000_000 + d));
    await stores.executions.claimFires('s1', [a!, b!], T0);
    const fenceOf = (id: string, from: ExecutionState) => ({
      id,
      from: [from],
      ownerServerId: 's1',
      attempt: 1,
    });
    for (const c of [a!, b!])
      await stores.executions.transition(
        fenceOf(c.id, ExecutionState.Claimed),
        ExecutionState.Dispatched,
        { clientId: 'c1', dispatchedAt: T0 },
      );
    const done = { finishedAt: T0 + 5 };
    // One at a time, then in a batch: another client's Result is refused, this client's taken.
    expect(
      await stores.executions.transition(
        { ...fenceOf(a!.id, ExecutionState.Dispatched), clientId: 'c2' },
        ExecutionState.Succeeded,
        done,
      ),
    ).toBe(false);
    expect(
      await stores.executions.transition(
        { ...fenceOf(a!.id, ExecutionState.Dispatched), clientId: 'c1' },
        ExecutionState.Succeeded,
        done,
      ),
    ).toBe(true);
    expect(
      await stores.executions.transitionMany([
        {
          fence: { ...fenceOf(b!.id, ExecutionState.Dispatched), clientId: 'c2' },
          state: ExecutionState.Succeeded,
          patch: done,
        },
        {
          fence: { ...fenceOf(b!.id, ExecutionState.Dispatched), clientId: 'c1' },
          state: ExecutionState.Succeeded,
          patch: done,
        },
      ]),
    ).toEqual([false, true]);
    expect((await stores.executions.get(b!.id))?.state).toBe('succeeded');
  });

  it('a stale owner is fenced out after adoptOrphans', async () => {
    const claim = claimOf(job(7), T0 + 60_000_000);
    await stores.executions.claimFires('s1', [claim], T0);
    const fence = { id: claim.id, from: [ExecutionState.Claimed], ownerServerId: 's1', attempt: 1 };
    expect(
      await stores.executions.transition(fence, ExecutionState.Dispatched, {
        clientId: 'c1',
        dispatchedAt: T0 + 1,
      }),
    ).toBe(true);

    const adopted = await rival.executions.adoptOrphans('s1', 's2', [job(7).id]);
    expect(adopted).toHaveLength(1);
    expect(adopted[0]).toMatchObject({
      id: claim.id,
      ownerServerId: 's2',
      attempt: 2,
      state: ExecutionState.Claimed,
    });

    const stale = {
      id: claim.id,
      from: [ExecutionState.Dispatched],
      ownerServerId: 's1',
      attempt: 1,
    };
    expect(
      await stores.executions.transition(stale, ExecutionState.Running, { startedAt: T0 + 2 }),
    ).toBe(false);
    expect(await stores.executions.get(claim.id)).toMatchObject({
      ownerServerId: 's2',
      attempt: 2,
      state: 'claimed',
    });

    const fresh = { id: claim.id, from: [ExecutionState.Claimed], ownerServerId: 's2', attempt: 2 };
    expect(
      await rival.executions.transition(fresh, ExecutionState.Dispatched, { clientId: 'c2' }),
    ).toBe(true);
    expect(await stores.executions.get(claim.id)).toMatchObject({
      state: 'dispatched',
      clientId: 'c2',
    });
  });

  it('RACE: two adopters of one dead owner split its orphans, each adopted once', async () => {
    const claims = Array.from({ length: 40 }, (_, i) =>
      claimOf(job(8), T0 + 70_000_000 + i * 1000),
    );
    await stores.executions.claimFires('dead', claims, T0);
    const [a, b] = await Promise.all([
      stores.executions.adoptOrphans('dead', 's1'),
      rival.executions.adoptOrphans('dead', 's2'),
    ]);
    expect([...a, ...b].map((e) => e.id).sort()).toEqual(claims.map((c) => c.id).sort());
    expect([...a, ...b].every((e) => e.attempt === 2)).toBe(true);
    expect(await stores.executions.listUnfinishedByOwner('dead')).toEqual([]);
  });
});
