import { describe, expect, it } from 'vitest';
import type { Execution, Job, Subtask } from '@carillon/core';
import type { ClientLink } from './client-link.js';
import { ClientPool } from './client-pool.js';
import type { Run } from './run-book.js';
import { broadcastClients, planShares, shardOrderOf } from './share-runs.js';
import { SubtaskQueue } from './subtask-queue.js';

const GROUP = '101-1-1-1';

function link(clientId: string, room: string, labels: string[] = [], slots = 4): ClientLink {
  return {
    clientId,
    groupId: GROUP,
    room,
    labels,
    handlers: new Map([['h', slots]]),
    capacity: 100,
    send: () => undefined,
    cancel: () => undefined,
  };
}

function job(over: Partial<Job> = {}): Job {
  return { id: 1, groupId: GROUP, handler: 'h', routeLabels: [], routeRoom: null, ...over } as Job;
}

function share(seq: number, payload: object): Subtask {
  return { id: `s${seq}`, seq, payload: JSON.stringify(payload), attempt: 1 } as Subtask;
}

function run(j: Job, shares: 'sharded' | 'broadcast', subtasks: Subtask[]): Run {
  const pending = new SubtaskQueue();
  for (const s of subtasks) pending.push(s);
  return {
    execution: { id: 'e1' } as Execution,
    job: j,
    summary: { subtasks: subtasks.length, reduce: false, shares },
    pending,
    placing: false,
    sent: new Map(),
    reduce: undefined,
    ending: false,
    done: false,
    rechecking: false,
    recording: 0,
    waiting: 0,
  };
}

const placed = (plan: ReturnType<typeof planShares>) =>
  Object.fromEntries([...plan.byClient].map(([c, list]) => [c, list.map((s) => s.seq)]));

describe('planShares', () => {
  it('spreads shards by free slots, ties to the room with fewer of them, within the pins', () => {
    const pool = new ClientPool();
    pool.add(link('a', 'r1'));
    pool.add(link('b', 'r1'));
    pool.add(link('c', 'r2'));
    pool.add(link('gpu', 'r2', ['gpu'], 1));
    const shards = Array.from({ length: 6 }, (_, i) => share(i + 1, { index: i, param: null }));
    const r = run(job({ routeLabels: [] }), 'sharded', shards);
    const plan = planShares(r, pool, 0, 1_000);
    // a first (most free); then b and c tie on free slots and c wins, its room r2 holding
    // none of the run's shards yet; and so on: two each, never past a client's free slots.
    expect(placed(plan)).toEqual({ a: [1, 5], c: [2, 4], b: [3, 6] });
    expect(r.pending.length).toBe(0);
    // The slots are taken.
    expect(pool.freeFor('a', 'h')).toBe(2);

    const pinned = run(job({ routeLabels: ['gpu'] }), 'sharded', [
      share(1, { index: 0 }),
      share(2, { index: 1 }),
    ]);
    const gpuPool = new ClientPool();
    gpuPool.add(link('a', 'r1'));
    gpuPool.add(link('gpu', 'r2', ['gpu'], 1));
    const p = planShares(pinned, gpuPool, 0, 1_000);
    // Only the pinned client, within its one slot; the other shard waits.
    expect(placed(p)).toEqual({ gpu: [1] });
    expect(pinned.pending.length).toBe(1);
  });

  it('sends a broadcast share only to its client, and calls it lost after the fence interval away', () => {
    const pool = new ClientPool();
    pool.add(link('a', 'r1', [], 1));
    pool.add(link('b', 'r1'));
    const r = run(job(), 'broadcast', [
      share(1, { index: 0, client: 'a' }),
      share(2, { index: 1, client: 'a' }),
      share(3, { index: 2, client: 'gone' }),
    ]);
    const first = planShares(r, pool, 10_000, 2_000);
    // a has one slot: one share now, the other waits for it (never goes to b).
    expect(placed(first)).toEqual({ a: [1] });
    expect(first.lost).toEqual([]);
    expect(first.recheckMs).toBe(2_000);
    expect(r.pending.ids()).toEqual(new Set(['s2', 's3']));
    const later = planShares(r, pool, 11_999, 2_000);
    expect(later.lost).toEqual([]);
    expect(later.recheckMs).toBe(1);
    const past = planShares(r, pool, 12_000, 2_000);
    expect(past.lost.map((s) => s.id)).toEqual(['s3']);
    expect(r.pending.ids()).toEqual(new Set(['s2']));
  });

  it('lists the broadcast clients in client id order, by handler and pins', () => {
    const pool = new ClientPool();
    pool.add(link('c', 'r2'));
    pool.add(link('a', 'r1'));
    pool.add({ ...link('b', 'r1'), handlers: new Map([['other', 1]]) });
    pool.add({ ...link('d', 'r1'), groupId: '101-1-1-2' });
    expect(broadcastClients(pool, job())).toEqual(['a', 'c']);
    expect(broadcastClients(pool, job({ routeRoom: 'r1' }))).toEqual(['a']);
  });

  it('gives each shard its index, the count and its param', () => {
    const r = run(job(), 'sharded', [
      share(1, { index: 0, param: 'Beijing' }),
      share(2, { index: 1 }),
    ]);
    expect(shardOrderOf(r, share(1, { index: 0, param: 'Beijing' }))).toEqual({
      parentExecutionId: 'e1',
      index: 0,
      count: 2,
      param: 'Beijing',
    });
    expect(shardOrderOf(r, share(2, { index: 1, param: null })).param).toBeNull();
  });
});
