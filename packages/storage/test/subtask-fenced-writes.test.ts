import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SubtaskState, newExecutionId } from '@carillon/core';
import type { FireClaim, Job, NewSubtask, SubtaskChange } from '@carillon/core';
import type { SqlStores } from '@carillon/storage';
import { T0, claimOf } from './fixtures.js';
import { testDatabases } from '@carillon/testkit';
import { openRivalStores } from './rival-stores.js';

// A batch of changes of distinct subtasks is written with its fences in the UPDATEs, without a
// locked read (fenced-update.ts); when one fence fails the batch is undone and read row by row.
// These check that path's answers and that its fences hold to the commit.

const news = (n: number, prefix: string): NewSubtask[] =>
  Array.from({ length: n }, (_, i) => ({
    id: newExecutionId(T0 + 100_000 + i + prefix.length * 1000),
    payload: `${prefix}${i}`,
  }));

/** Resolves 'waiting' if `promise` has not settled after `ms`: a lock wait, not a timing. */
const stillWaiting = (promise: Promise<unknown>, ms = 500): Promise<string> =>
  Promise.race([
    promise.then(
      () => 'settled',
      () => 'settled',
    ),
    new Promise<string>((resolve) => setTimeout(() => resolve('waiting'), ms)),
  ]);

describe.each(testDatabases())('fenced subtask writes on $label', (database) => {
  let stores: SqlStores;
  let rival: SqlStores;
  let close: (() => Promise<void>) | undefined;
  let job: Job;
  let at = T0;

  const claimed = async (owner: string): Promise<FireClaim> => {
    at += 1000;
    const claim = claimOf(job, at);
    await stores.executions.claimFires(owner, [claim], T0);
    return claim;
  };
  const dispatch = (id: string, owner = 's1', attempt = 1): SubtaskChange => ({
    fence: { id, from: [SubtaskState.Pending], ownerServerId: owner, attempt },
    state: SubtaskState.Dispatched,
    patch: { clientId: `c-${id.slice(-2)}`, dispatchedAt: T0 + 1 },
  });

  beforeAll(async () => {
    let seeded: (i: number) => Job;
    ({ stores, rival, job: seeded, close } = await openRivalStores(database, 1));
    job = seeded(0);
  });

  afterAll(async () => {
    await close?.();
  });

  it('one failed fence among distinct subtasks: each change gets its own answer, values per row', async () => {
    const execution = await claimed('s1');
    const rows = await stores.subtasks.insertBatch(execution.id, news(6, 'a'), T0);
    const [a, b, c, d, e, f] = rows.map((r) => r.id) as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    // All hold: all apply, each with its own client.
    expect(await stores.subtasks.transitionMany([dispatch(a), dispatch(b)])).toEqual([true, true]);
    const results = (id: string, clientId: string, result: string): SubtaskChange => ({
      fence: { id, from: [SubtaskState.Dispatched], ownerServerId: 's1', attempt: 1, clientId },
      state: SubtaskState.Succeeded,
      patch: { result, finishedAt: T0 + 2 },
    });
    expect(
      await stores.subtasks.transitionMany([
        dispatch(a), // committed before: taken as applied (a retried commit)
        dispatch(c),
        dispatch(d, 's1', 2), // stale attempt
        dispatch(e, 's9'), // not the owner
        results(b, 'c-no', 'no'), // not its client
        dispatch(f),
      ]),
    ).toEqual([true, true, false, false, false, true]);
    const got = async (id: string) => stores.subtasks.get(id);
    expect(await got(a)).toMatchObject({ state: 'dispatched', clientId: `c-${a.slice(-2)}` });
    expect(await got(c)).toMatchObject({ state: 'dispatched', clientId: `c-${c.slice(-2)}` });
    expect(await got(f)).toMatchObject({ state: 'dispatched', clientId: `c-${f.slice(-2)}` });
    for (const id of [d, e])
      expect(await got(id)).toMatchObject({ state: 'pending', clientId: null });
    expect(await got(b)).toMatchObject({ state: 'dispatched', result: null });
    // Different results per row in one batch; a change that keeps the state and sets the values
    // the row has already matches (found, not changed, rows count).
    expect(
      await stores.subtasks.transitionMany([
        results(b, `c-${b.slice(-2)}`, 'rb'),
        results(c, `c-${c.slice(-2)}`, 'rc'),
        {
          fence: { id: f, from: [SubtaskState.Dispatched], ownerServerId: 's1', attempt: 1 },
          state: SubtaskState.Dispatched,
          patch: { clientId: `c-${f.slice(-2)}` },
        },
      ]),
    ).toEqual([true, true, true]);
    expect(await got(b)).toMatchObject({ state: 'succeeded', result: 'rb' });
    expect(await got(c)).toMatchObject({ state: 'succeeded', result: 'rc' });
  });

  it('RACE: an adoption waits for a batch written under the old owner, which stays written', async () => {
    if (!stores.profile.supportsRowLocks) return; // SQLite: one writer at a time anyway
    const execution = await claimed('s1');
    const [a, b] = (await stores.subtasks.insertBatch(execution.id, news(2, 'bb'), T0)).map(
      (r) => r.id,
    ) as [string, string];
    let adoption: Promise<readonly { id: string }[]> | undefined;
    await stores.transaction(async (t) => {
      expect(await t.subtasks.transitionMany([dispatch(a), dispatch(b)])).toEqual([true, true]);
      adoption = rival.executions.adoptOrphans('s1', 's2', [job.id]);
      expect(await stillWaiting(adoption)).toBe('waiting');
    });
    expect((await adoption)?.map((x) => x.id)).toContain(execution.id);
    expect((await stores.subtasks.get(a))?.state).toBe('dispatched');
    expect((await stores.subtasks.get(b))?.state).toBe('dispatched');
  });

  it('RACE: a batch that waited for an adoption finds its fences gone and changes nothing', async () => {
    if (!stores.profile.supportsRowLocks) return;
    const execution = await claimed('s1');
    const [a, b] = (await stores.subtasks.insertBatch(execution.id, news(2, 'ccc'), T0)).map(
      (r) => r.id,
    ) as [string, string];
    let batch: Promise<boolean[]> | undefined;
    await stores.transaction(async (t) => {
      const adopted = await t.executions.adoptOrphans('s1', 's2', [job.id]);
      expect(adopted.map((x) => x.id)).toContain(execution.id);
      batch = rival.subtasks.transitionMany([dispatch(a), dispatch(b)]);
      expect(await stillWaiting(batch)).toBe('waiting');
    });
    expect(await batch).toEqual([false, false]);
    for (const id of [a, b])
      expect(await stores.subtasks.get(id)).toMatchObject({ state: 'pending', clientId: null });
    expect(await rival.subtasks.transitionMany([dispatch(a, 's2'), dispatch(b, 's2')])).toEqual([
      true,
      true,
    ]);
  });
});
