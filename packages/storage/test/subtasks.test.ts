import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreErrorCode, ExecutionState, SubtaskState, newExecutionId } from '@carillon/core';
import type { FireClaim, Job, NewSubtask, Subtask, SubtaskChange } from '@carillon/core';
import type { SqlStores } from '@carillon/storage';
import { T0, claimOf, withCode } from './fixtures.js';
import { testDatabases } from '@carillon/testkit';
import { openRivalStores } from './rival-stores.js';

const news = (n: number, prefix: string): NewSubtask[] =>
  Array.from({ length: n }, (_, i) => ({ id: newExecutionId(T0 + i), payload: `${prefix}${i}` }));

describe.each(testDatabases())('subtasks on $label', (database) => {
  let stores: SqlStores;
  let rival: SqlStores;
  let close: (() => Promise<void>) | undefined;
  let job: Job;
  let at = T0;

  const claimed = async (owner = 's1'): Promise<FireClaim> => {
    at += 1000;
    const claim = claimOf(job, at);
    await stores.executions.claimFires(owner, [claim], T0);
    return claim;
  };

  beforeAll(async () => {
    let seeded: (i: number) => Job;
    ({ stores, rival, job: seeded, close } = await openRivalStores(database, 1));
    job = seeded(0);
  });

  afterAll(async () => {
    await close?.();
  });

  it('inserts batches in order after the positions taken, and a repeat is harmless', async () => {
    const execution = await claimed();
    const first = news(3, 'a');
    const stored = await stores.subtasks.insertBatch(execution.id, first, T0 + 1);
    expect(stored.map((s) => [s.seq, s.payload, s.state, s.attempt])).toEqual([
      [1, 'a0', 'pending', 1],
      [2, 'a1', 'pending', 1],
      [3, 'a2', 'pending', 1],
    ]);
    expect(stored[0]).toMatchObject({
      executionId: execution.id,
      createdAt: T0 + 1,
      clientId: null,
    });
    const second = news(2, 'b');
    const more = await stores.subtasks.insertBatch(
      execution.id,
      [...first.slice(1), ...second],
      T0 + 2,
    );
    expect(more.map((s) => [s.payload, s.seq])).toEqual([
      ['a1', 2],
      ['a2', 3],
      ['b0', 4],
      ['b1', 5],
    ]);
    const listed = await stores.subtasks.listByExecution(execution.id);
    expect(listed.map((s) => s.payload)).toEqual(['a0', 'a1', 'a2', 'b0', 'b1']);
    expect(
      (await stores.subtasks.listByExecution(execution.id, { afterSeq: 3, limit: 1 })).map(
        (s) => s.payload,
      ),
    ).toEqual(['b0']);
    await expect(stores.subtasks.insertBatch(newExecutionId(T0), news(1, 'x'), T0)).rejects.toEqual(
      withCode(CoreErrorCode.NotFound),
    );
    await expect(
      stores.subtasks.insertBatch(execution.id, [{ id: 'bad', payload: '' }], T0),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidArgument));
  });

  it('RACE: concurrent batches of one execution get distinct, contiguous positions', async () => {
    const execution = await claimed();
    const batches = Array.from({ length: 12 }, (_, b) => news(10, `r${b}-`));
    await Promise.all(
      batches.map((batch, b) =>
        (b % 2 === 0 ? stores : rival).subtasks.insertBatch(execution.id, batch, T0),
      ),
    );
    const all = await stores.subtasks.listByExecution(execution.id);
    expect(all.map((s) => s.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    for (let b = 0; b < 12; b++) {
      const mine = all.filter((s) => s.payload.startsWith(`r${b}-`));
      expect(mine.map((s) => s.payload)).toEqual(
        Array.from({ length: 10 }, (_, i) => `r${b}-${i}`),
      );
    }
  });

  it('fences subtask changes by state, attempt and the execution’s owner', async () => {
    const execution = await claimed('s1');
    const [one, two] = await stores.subtasks.insertBatch(execution.id, news(2, 'f'), T0);
    if (one === undefined || two === undefined) throw new Error('no subtasks');
    const fence = { id: one.id, from: [SubtaskState.Pending], ownerServerId: 's1', attempt: 1 };
    expect(
      await stores.subtasks.transition(fence, SubtaskState.Dispatched, {
        clientId: 'c1',
        dispatchedAt: T0 + 1,
      }),
    ).toBe(true);
    expect(await stores.subtasks.transition(fence, SubtaskState.Dispatched)).toBe(false);
    const dispatched = { ...fence, from: [SubtaskState.Dispatched] };
    expect(
      await stores.subtasks.transition(dispatched, SubtaskState.Pending, {
        attempt: 2,
        clientId: null,
      }),
    ).toBe(true);
    expect(await stores.subtasks.get(one.id)).toMatchObject({
      state: 'pending',
      attempt: 2,
      clientId: null,
      dispatchedAt: T0 + 1,
    });
    await expect(
      stores.subtasks.transition({ ...fence, attempt: 2 }, SubtaskState.Succeeded),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidTransition));

    // The execution moves to s2: s1's fences on its subtasks no longer hold.
    const adopted = await rival.executions.adoptOrphans('s1', 's2', [job.id]);
    expect(adopted.map((e) => e.id)).toContain(execution.id);
    const stale = { id: two.id, from: [SubtaskState.Pending], ownerServerId: 's1', attempt: 1 };
    expect(await stores.subtasks.transition(stale, SubtaskState.Dispatched)).toBe(false);
    expect(
      await rival.subtasks.transition({ ...stale, ownerServerId: 's2' }, SubtaskState.Dispatched),
    ).toBe(true);
    const running = {
      id: two.id,
      from: [SubtaskState.Dispatched],
      ownerServerId: 's2',
      attempt: 1,
    };
    expect(
      await rival.subtasks.transition(running, SubtaskState.Running, { startedAt: T0 + 5 }),
    ).toBe(true);
    const done = { ...running, from: [SubtaskState.Running] };
    expect(
      await rival.subtasks.transition(done, SubtaskState.Succeeded, {
        finishedAt: T0 + 6,
        result: '42',
      }),
    ).toBe(true);
    expect(await stores.subtasks.get(two.id)).toMatchObject({
      state: 'succeeded',
      result: '42',
      startedAt: T0 + 5,
      finishedAt: T0 + 6,
    });
    expect(await stores.executions.get(execution.id)).toMatchObject({
      state: ExecutionState.Claimed,
      ownerServerId: 's2',
    });
  });

  it('fences by client when the fence names one, in one change and in a batch', async () => {
    const execution = await claimed('s1');
    const [one, two] = await stores.subtasks.insertBatch(execution.id, news(2, 'k'), T0);
    if (one === undefined || two === undefined) throw new Error('no subtasks');
    for (const s of [one, two]) {
      const fence = { id: s.id, from: [SubtaskState.Pending], ownerServerId: 's1', attempt: 1 };
      expect(
        await stores.subtasks.transition(fence, SubtaskState.Dispatched, { clientId: 'c1' }),
      ).toBe(true);
    }
    // Another server records a Result for s1's subtask: only if it is still on that client.
    const sent = { from: [SubtaskState.Dispatched], ownerServerId: 's1', attempt: 1 };
    expect(
      await rival.subtasks.transition(
        { ...sent, id: one.id, clientId: 'c2' },
        SubtaskState.Succeeded,
        { result: 'no' },
      ),
    ).toBe(false);
    expect(
      await rival.subtasks.transition(
        { ...sent, id: one.id, clientId: 'c1' },
        SubtaskState.Succeeded,
        { result: 'yes' },
      ),
    ).toBe(true);
    expect(
      await rival.subtasks.transitionMany([
        { fence: { ...sent, id: two.id, clientId: 'c2' }, state: SubtaskState.Succeeded },
        { fence: { ...sent, id: two.id, clientId: 'c1' }, state: SubtaskState.Failed },
      ]),
    ).toEqual([false, true]);
    expect((await stores.subtasks.get(one.id))?.result).toBe('yes');
    expect((await stores.subtasks.get(two.id))?.state).toBe('failed');
  });

  it('applies many fenced changes in one call, each by its own fence; a malformed one writes nothing', async () => {
    const execution = await claimed('s1');
    const rows = await stores.subtasks.insertBatch(execution.id, news(3, 'm'), T0);
    const fence = (id: string) => ({
      id,
      from: [SubtaskState.Pending],
      ownerServerId: 's1',
      attempt: 1,
    });
    const [a, b, c] = rows.map((r) => r.id) as [string, string, string];
    expect(
      await stores.subtasks.transitionMany([
        { fence: fence(a), state: SubtaskState.Dispatched, patch: { clientId: 'c1' } },
        { fence: { ...fence(b), ownerServerId: 's9' }, state: SubtaskState.Dispatched },
        { fence: fence(c), state: SubtaskState.Dispatched, patch: { clientId: 'c2' } },
        // Sees the change before it in the same call.
        {
          fence: { ...fence(a), from: [SubtaskState.Dispatched] },
          state: SubtaskState.Succeeded,
          patch: { result: 'ok' },
        },
      ]),
    ).toEqual([true, false, true, true]);
    expect(Object.fromEntries(await stores.subtasks.countByState(execution.id))).toEqual({
      succeeded: 1,
      pending: 1,
      dispatched: 1,
    });
    await expect(
      stores.subtasks.transitionMany([
        { fence: fence(b), state: SubtaskState.Dispatched },
        { fence: { ...fence(b), from: [] }, state: SubtaskState.Dispatched },
      ]),
    ).rejects.toEqual(withCode(CoreErrorCode.InvalidArgument));
    expect((await stores.subtasks.get(b))?.state).toBe('pending');
    expect(await stores.subtasks.transitionMany([])).toEqual([]);
  });

  it('applies a large batch of mixed changes row by row: values per subtask, fences per subtask', async () => {
    const execution = await claimed('s1');
    const rows = await stores.subtasks.insertBatch(execution.id, news(1200, 'L'), T0);
    const fence = (id: string, attempt = 1, from: SubtaskState = SubtaskState.Pending) => ({
      id,
      from: [from],
      ownerServerId: 's1',
      attempt,
    });
    // Every subtask dispatched to one of three clients (one statement per value would be wrong).
    const dispatched = await stores.subtasks.transitionMany(
      rows.map((r, i) => ({
        fence: fence(r.id),
        state: SubtaskState.Dispatched,
        patch: { clientId: `c${i % 3}`, dispatchedAt: T0 + (i % 2) },
      })),
    );
    expect(dispatched.every((a) => a)).toBe(true);
    // Then: even ones end with their own result, odd ones go back at attempt 2, every tenth
    // fence names the wrong attempt, and the last one is changed twice in the batch.
    const last = rows[rows.length - 1]!;
    const changes: SubtaskChange[] = rows.map((r, i): SubtaskChange =>
      i % 10 === 5
        ? {
            fence: fence(r.id, 2, SubtaskState.Dispatched),
            state: SubtaskState.Succeeded,
            patch: { result: 'wrong' },
          }
        : i % 2 === 0
          ? {
              fence: fence(r.id, 1, SubtaskState.Dispatched),
              state: SubtaskState.Succeeded,
              patch: { result: `r${i}`, finishedAt: T0 + i },
            }
          : {
              fence: fence(r.id, 1, SubtaskState.Dispatched),
              state: SubtaskState.Pending,
              patch: { attempt: 2, clientId: null, reason: `lost ${i}` },
            },
    );
    changes.push({
      fence: fence(last.id, 2, SubtaskState.Pending),
      state: SubtaskState.Dispatched,
      patch: { clientId: 'c9', dispatchedAt: T0 + 9 },
    });
    const applied = await stores.subtasks.transitionMany(changes);
    expect(applied.filter((a) => !a).length).toBe(120);
    applied.slice(0, rows.length).forEach((a, i) => expect(a).toBe(i % 10 !== 5));
    expect(applied[rows.length]).toBe(true);
    const stored = new Map<string, Subtask>();
    for (let after = 0; ;) {
      const page = await stores.subtasks.listByExecution(execution.id, { afterSeq: after });
      for (const s of page) stored.set(s.id, s);
      if (page.length < 1000) break;
      after = page[page.length - 1]!.seq;
    }
    rows.forEach((r, i) => {
      const s = stored.get(r.id);
      if (i % 10 === 5)
        expect(s).toMatchObject({ state: 'dispatched', attempt: 1, clientId: `c${i % 3}` });
      else if (i % 2 === 0)
        expect(s).toMatchObject({
          state: 'succeeded',
          attempt: 1,
          result: `r${i}`,
          finishedAt: T0 + i,
          clientId: `c${i % 3}`,
          dispatchedAt: T0 + (i % 2),
        });
      else if (r.id !== last.id)
        expect(s).toMatchObject({
          state: 'pending',
          attempt: 2,
          clientId: null,
          reason: `lost ${i}`,
        });
    });
    expect(stored.get(last.id)).toMatchObject({
      state: 'dispatched',
      attempt: 2,
      clientId: 'c9',
      dispatchedAt: T0 + 9,
      reason: `lost ${rows.length - 1}`,
    });
  });

  it('a change tried again after it committed counts as applied; another one does not', async () => {
    const execution = await claimed('s1');
    const [one] = await stores.subtasks.insertBatch(execution.id, news(1, 'again'), T0);
    if (one === undefined) throw new Error('no subtask');
    const change = {
      fence: { id: one.id, from: [SubtaskState.Pending], ownerServerId: 's1', attempt: 1 },
      state: SubtaskState.Dispatched,
      patch: { clientId: 'c1', dispatchedAt: T0 },
    };
    expect(await stores.subtasks.transitionMany([change])).toEqual([true]);
    // The same change again (its first reply lost): applied; to another client: not.
    expect(
      await stores.subtasks.transitionMany([
        change,
        { ...change, patch: { clientId: 'c2', dispatchedAt: T0 } },
        { ...change, fence: { ...change.fence, ownerServerId: 's2' } },
      ]),
    ).toEqual([true, false, false]);
    expect(await stores.subtasks.get(one.id)).toMatchObject({
      state: 'dispatched',
      clientId: 'c1',
    });
  });

  it('lists by state and counts by state', async () => {
    const execution = await claimed('s1');
    const made = await stores.subtasks.insertBatch(execution.id, news(5, 'c'), T0);
    for (const s of made.slice(0, 2)) {
      const fence = { id: s.id, from: [SubtaskState.Pending], ownerServerId: 's1', attempt: 1 };
      expect(await stores.subtasks.transition(fence, SubtaskState.Dispatched)).toBe(true);
    }
    const cancel = made[4];
    if (cancel === undefined) throw new Error('no subtask');
    await stores.subtasks.transition(
      { id: cancel.id, from: [SubtaskState.Pending], ownerServerId: 's1', attempt: 1 },
      SubtaskState.Cancelled,
    );
    expect(await stores.subtasks.countByState(execution.id)).toEqual(
      new Map([
        ['dispatched', 2],
        ['pending', 2],
        ['cancelled', 1],
      ]),
    );
    const pending = await stores.subtasks.listByExecution(execution.id, {
      states: [SubtaskState.Pending],
    });
    expect(pending.map((s) => s.payload)).toEqual(['c2', 'c3']);
    expect(await stores.subtasks.listByExecution(execution.id, { states: [] })).toEqual([]);
  });
});
