import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Execution, Job, Stores } from '@carillon/core';
import {
  ExecutionCause,
  ExecutionState,
  ManualClock,
  newExecutionId,
  silentLogger,
} from '@carillon/core';
import { openStores } from '@carillon/storage';
import { ServerEventBus } from '../events.js';
import { StandbyWatch } from './standby-watch.js';
import type { StandbyWatchOptions } from './standby-watch.js';

// A standby (s2) over a real SQLite store, whose calls are counted: what it reads, and when it
// asks whether owners are gone (a look). The liveness answer is the test's to give.

const jobs = [1, 2, 3].map(
  (id) => ({ id, groupId: '101-1-3-1', holders: ['s1', 's2'], param: null }) as unknown as Job,
);
const job = jobs[0] as Job;

interface Standby {
  readonly clock: ManualClock;
  readonly watch: StandbyWatch;
  /** When each store method was called, by name. */
  readonly calls: Map<string, number[]>;
  /** When the watch asked whether owners were gone, and about whom. */
  readonly looks: { at: number; owners: readonly string[] }[];
  /** What the watch handed on to be routed. */
  readonly taken: Execution[];
}

let stores: Stores;

beforeEach(async () => {
  stores = await openStores({ url: 'sqlite::memory:' });
});

afterEach(() => stores.close());

/** Claims `job`'s fire at `at` for `owner`; returns its execution id. */
async function claim(owner: string, at: number, of: Job = job): Promise<string> {
  const id = newExecutionId(at);
  const cause = ExecutionCause.Schedule;
  const fire = { id, jobId: of.id, groupId: of.groupId, scheduledAt: at, cause, param: null };
  await stores.executions.claimFires(owner, [fire], 0);
  return id;
}

/**
 * A standby s2 whose look at the owners takes `lookMs` (the check ends that far into its slot)
 * and finds gone those `gone` names at that instant.
 */
function standby(
  more: {
    lookMs?: number;
    gone?: (owner: string, now: number) => boolean;
    jobOf?: (id: number) => Job | undefined;
    options?: Partial<StandbyWatchOptions>;
    /** A store method whose first call commits and then fails, as when its reply is lost. */
    lostReply?: string;
  } = {},
): Standby {
  const clock = new ManualClock(0);
  const calls = new Map<string, number[]>();
  const looks: Standby['looks'] = [];
  const taken: Execution[] = [];
  const executions = new Proxy(stores.executions, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const at = calls.get(String(name)) ?? [];
        at.push(clock.now());
        calls.set(String(name), at);
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (name !== more.lostReply || at.length > 1) return result;
        return Promise.resolve(result).then(() => Promise.reject(new Error('reply lost')));
      };
    },
  });
  const events = new ServerEventBus();
  events.on('fires:claimed', ({ executions: e }) => taken.push(...e));
  const watch = new StandbyWatch({
    serverId: 's2',
    executions,
    clock,
    events,
    logger: silentLogger,
    jobOf: more.jobOf ?? ((id) => jobs.find((j) => j.id === id)),
    ownersGone: (owners) => {
      const now = clock.now();
      looks.push({ at: now, owners: [...owners].sort() });
      clock.set(now + (more.lookMs ?? 5));
      return Promise.resolve(new Set(owners.filter((o) => more.gone?.(o, now) === true)));
    },
    ...more.options,
  });
  return { clock, watch, calls, looks, taken };
}

/** Moves the clock on in 10 ms steps to `to`, letting the store's work settle at each. */
async function walk(clock: ManualClock, to: number): Promise<void> {
  while (clock.now() < to) {
    clock.set(Math.floor(clock.now() / 10) * 10 + 10);
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('StandbyWatch', () => {
  it('looks again at a peer’s claimed fire every recheckMs from its slot, not a slot later', async () => {
    await claim('s1', 1_000);
    const { clock, watch, looks } = standby();
    watch.watch(job, 1_000);
    await walk(clock, 1_650);
    // Checked 200 ms after the instant, then every 100 ms (rounding the check's end up to the
    // next slot made it every 200).
    expect(looks.map((l) => l.at)).toEqual([1_200, 1_300, 1_400, 1_500, 1_600]);
  });

  it('waits a whole recheckMs after a check that took longer than that', async () => {
    await claim('s1', 1_000);
    const { clock, watch, looks } = standby({ lookMs: 130 });
    watch.watch(job, 1_000);
    await walk(clock, 1_900);
    expect(looks.map((l) => l.at)).toEqual([1_200, 1_500, 1_800]);
  });

  it('reads fires whose check time has passed in one read, in the next slot', async () => {
    for (const at of [1_000, 1_100, 1_200]) await claim('s1', at);
    const { clock, watch, calls } = standby();
    clock.set(1_450);
    for (const at of [1_000, 1_100, 1_200]) watch.watch(job, at);
    await walk(clock, 1_520);
    expect(calls.get('findFires')).toEqual([1_500]);
  });

  it('reads no row when every fire of a slot is in hand, and the rows when one is not', async () => {
    const sent = await claim('s1', 1_000);
    const fence = { id: sent, from: [ExecutionState.Claimed], ownerServerId: 's1', attempt: 1 };
    expect(await stores.executions.transition(fence, ExecutionState.Dispatched)).toBe(true);
    await claim('s2', 1_000, jobs[1]);
    const { clock, watch, calls, looks, taken } = standby();
    watch.watch(job, 1_000);
    watch.watch(jobs[1] as Job, 1_000);
    await walk(clock, 1_250);
    // A peer's dispatched fire and this server's own claim: one count, no row, no look.
    expect(calls.get('countFiresInHand')).toEqual([1_200]);
    expect(calls.get('findFires')).toBeUndefined();
    expect(looks).toEqual([]);
    // The next second's fire of the first job is missing: the count falls short, the rows
    // are read and the missing fire is claimed here.
    watch.watch(job, 2_000);
    await walk(clock, 2_250);
    expect(calls.get('countFiresInHand')).toEqual([1_200, 2_200]);
    expect(calls.get('findFires')).toEqual([2_200]);
    expect(taken.map((e) => [e.jobId, e.scheduledAt, e.ownerServerId])).toEqual([
      [job.id, 2_000, 's2'],
    ]);
    expect(watch.counts).toMatchObject({ reads: 2, rowReads: 1, fires: 3, claimed: 1 });
    expect(watch.watching).toBe(0);
  });

  it('reads the rows at once while the last rows read fell short, and counts again after', async () => {
    const dispatched = async (at: number) => {
      const id = await claim('s1', at);
      const fence = { id, from: [ExecutionState.Claimed], ownerServerId: 's1', attempt: 1 };
      expect(await stores.executions.transition(fence, ExecutionState.Dispatched)).toBe(true);
    };
    await claim('s1', 1_000);
    await dispatched(2_000);
    await dispatched(3_000);
    const { clock, watch, calls } = standby();
    for (const at of [1_000, 2_000, 3_000]) watch.watch(job, at);
    await walk(clock, 3_250);
    // 1,000: claimed by a live peer and not sent, so short (a count, then the rows). 2,000:
    // its rows at once, in hand. 3,000: a count again.
    expect(calls.get('countFiresInHand')).toEqual([1_200, 3_200]);
    expect(calls.get('findFires')).toEqual([1_200, 2_200]);
    expect(watch.counts).toMatchObject({ reads: 3, rowReads: 2, fires: 3, claimed: 0 });
  });

  it('reads a peer’s claimed fire once, then only asks about its owner, and adopts it', async () => {
    const id = await claim('s1', 1_000);
    const { clock, watch, calls, looks, taken } = standby({
      gone: (owner, now) => owner === 's1' && now >= 1_900,
    });
    watch.watch(job, 1_000);
    await walk(clock, 2_200);
    // One read at the first check; the looks at 1,300 to 1,900 read no row (before, each
    // read the row again: 8 reads).
    expect(calls.get('findFires')).toEqual([1_200]);
    expect(looks.map((l) => l.at)).toEqual([
      1_200, 1_300, 1_400, 1_500, 1_600, 1_700, 1_800, 1_900,
    ]);
    expect(looks.every((l) => l.owners.join() === 's1')).toBe(true);
    expect(taken.map((e) => [e.id, e.ownerServerId, e.attempt])).toEqual([[id, 's2', 2]]);
    expect(await stores.executions.get(id)).toMatchObject({
      state: ExecutionState.Claimed,
      ownerServerId: 's2',
      attempt: 2,
    });
    expect(watch.watching).toBe(0);
    expect(watch.counts).toMatchObject({ reads: 1, fires: 1, rechecks: 7, adopted: 1 });
  });

  it('reads the row of an adoption whose reply was lost, though the count finds it in hand', async () => {
    const id = await claim('s1', 1_000);
    const { clock, watch, calls, taken } = standby({
      gone: (owner) => owner === 's1',
      lostReply: 'adoptOrphans',
    });
    watch.watch(job, 1_000);
    await walk(clock, 1_900);
    // The adoption committed (the row is s2's now, attempt 2) but its call failed. The row is
    // this server's claim, in hand by the count; only reading it shows the fire still to route.
    expect(calls.get('adoptOrphans')).toHaveLength(1);
    expect(calls.get('findFires')).toHaveLength(2);
    expect(taken.map((e) => [e.id, e.ownerServerId, e.attempt])).toEqual([[id, 's2', 2]]);
    expect(watch.counts).toMatchObject({ adopted: 1 });
    expect(watch.watching).toBe(0);
  });

  it('lets a kept fire go watchForMs after its instant, or when its job is no longer held', async () => {
    await claim('s1', 1_000);
    await claim('s1', 1_000, jobs[1]);
    let second: Job | undefined = jobs[1];
    const { clock, watch, looks } = standby({
      options: { watchForMs: 1_000 },
      jobOf: (id) => (id === 1 ? job : second),
    });
    watch.watch(job, 1_000);
    watch.watch(jobs[1] as Job, 1_000);
    await walk(clock, 1_450);
    expect(watch.watching).toBe(2);
    second = { ...jobs[1], holders: ['s1', 's3'] } as Job;
    await walk(clock, 1_550);
    expect(watch.watching).toBe(1);
    await walk(clock, 2_500);
    expect(looks.at(-1)?.at).toBe(2_000);
    expect(watch.watching).toBe(0);
  });

  it('leaves alone a kept fire its owner sent before it was judged gone', async () => {
    const id = await claim('s1', 1_000);
    const { clock, watch, calls, taken } = standby({
      gone: (owner, now) => owner === 's1' && now >= 1_400,
    });
    watch.watch(job, 1_000);
    await walk(clock, 1_250);
    const fence = { id, from: [ExecutionState.Claimed], ownerServerId: 's1', attempt: 1 };
    expect(await stores.executions.transition(fence, ExecutionState.Dispatched)).toBe(true);
    await walk(clock, 2_000);
    expect(calls.get('adoptOrphans')).toEqual([1_405]);
    // Not moved by the compare-and-set: looked at once more to tell why (its row read at once,
    // as the last read fell short: found dispatched, in hand), then let go.
    expect(calls.get('countFiresInHand')).toEqual([1_200]);
    expect(calls.get('findFires')).toEqual([1_200, 1_500]);
    expect(taken).toEqual([]);
    expect(await stores.executions.get(id)).toMatchObject({
      state: ExecutionState.Dispatched,
      ownerServerId: 's1',
      attempt: 1,
    });
    expect(watch.watching).toBe(0);
  });

  it('follows a kept fire that another server took from its owner', async () => {
    const id = await claim('s1', 1_000);
    const { clock, watch, looks, taken } = standby({
      // s1 was frozen: s3 adopted its fire, and dies in turn before sending it.
      gone: (owner, now) => (owner === 's1' && now >= 1_400) || (owner === 's3' && now >= 1_800),
    });
    watch.watch(job, 1_000);
    await walk(clock, 1_250);
    expect(await stores.executions.adoptOrphans('s1', 's3', [job.id], [id])).toHaveLength(1);
    await walk(clock, 2_000);
    expect(looks.map((l) => [l.at, l.owners.join()])).toEqual([
      [1_200, 's1'],
      [1_300, 's1'],
      [1_400, 's1'],
      [1_500, 's3'],
      [1_600, 's3'],
      [1_700, 's3'],
      [1_800, 's3'],
    ]);
    expect(taken.map((e) => [e.id, e.ownerServerId, e.attempt])).toEqual([[id, 's2', 3]]);
  });

  it('lets go a kept fire its owner gave up (unowned, for a holder to take)', async () => {
    const id = await claim('s1', 1_000);
    const { clock, watch, taken } = standby({ gone: (_, now) => now >= 1_400 });
    watch.watch(job, 1_000);
    await walk(clock, 1_250);
    const fence = { id, from: [ExecutionState.Claimed], ownerServerId: 's1', attempt: 1 };
    const given = { ownerServerId: null };
    expect(await stores.executions.transition(fence, ExecutionState.Claimed, given)).toBe(true);
    await walk(clock, 2_000);
    expect(taken).toEqual([]);
    expect(await stores.executions.get(id)).toMatchObject({ ownerServerId: null, attempt: 1 });
    expect(watch.watching).toBe(0);
  });

  it('adopts more of a gone owner’s fires than one statement takes', async () => {
    const many = Array.from(
      { length: 1_001 },
      (_, i) =>
        ({
          id: 10 + i,
          groupId: '101-1-3-1',
          holders: ['s1', 's2'],
          param: null,
        }) as unknown as Job,
    );
    const ids: string[] = [];
    for (const j of many) ids.push(await claim('s1', 1_000, j));
    const { clock, watch, taken } = standby({
      gone: (_, now) => now >= 1_300,
      jobOf: (id) => many.find((j) => j.id === id),
    });
    for (const j of many) watch.watch(j, 1_000);
    await walk(clock, 1_400);
    expect(taken.map((e) => e.id).sort()).toEqual(ids.sort());
    expect(watch.counts.adopted).toBe(1_001);
  });

  it('reads the claimed fires of newly held jobs in one read', async () => {
    await claim('s1', 5_000, jobs[0]);
    await claim('s3', 4_000, jobs[2]);
    await claim('s2', 4_000, jobs[1]);
    const { clock, watch, calls, looks } = standby();
    clock.set(3_000);
    await watch.watchClaimedOf(jobs);
    const reads = ['listClaimedOfJobs', 'listByJobAndStates'].flatMap((m) => calls.get(m) ?? []);
    expect(reads).toEqual([3_000]);
    // The peers' fires (not its own) are checked at their instants like any other.
    expect(watch.watching).toBe(2);
    await walk(clock, 5_300);
    expect(calls.get('findFires')).toEqual([4_200, 5_200]);
    expect(looks[0]).toEqual({ at: 4_200, owners: ['s3'] });
    expect(looks.find((l) => l.at === 5_200)?.owners).toEqual(['s1', 's3']);
  });
});
