import type { Execution, Job, Stores } from '@carillon/core';
import {
  JobKind,
  ManualClock,
  MisfirePolicy,
  OverlapPolicy,
  RoutingStrategy,
  silentLogger,
} from '@carillon/core';
import { ServerEventBus } from '@carillon/server';
import { openStores } from '@carillon/storage';
import { waitFor } from '@carillon/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Scheduler } from '../src/scheduling/scheduler.js';

// A fire's row is claimed `leadMs + claimAheadMs` before its instant but handed to the
// dispatcher only `leadMs` before it: a slow claim statement is paid in the margin, and the
// dispatcher (overlap policy, routing) sees the fire when it would without the margin.

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0) + 500;
const LEAD = 300;
const AHEAD = 700;

describe('fires claimed ahead of their hand-off', () => {
  let stores: Stores;
  let clock: ManualClock;
  let scheduler: Scheduler;
  const jobs: Job[] = [];
  /** Each `fires:claimed` event: when it came and what it carried. */
  const handOffs: Array<{ at: number; executions: readonly Execution[] }> = [];

  beforeEach(async () => {
    stores = await openStores({ url: 'sqlite::memory:' });
    clock = new ManualClock(T0);
    const group = await stores.groups.create(
      { cluster: 102, serverGroup: 1, backups: 1, name: 'ahead' },
      T0,
    );
    for (let i = 0; i < 3; i++) {
      jobs.push(
        await stores.jobs.create(
          {
            groupId: group.id,
            name: `every second ${i}`,
            description: '',
            trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
            handler: 'echo',
            kind: JobKind.Simple,
            param: null,
            routing: RoutingStrategy.LeastLoaded,
            overlap: OverlapPolicy.Skip,
            misfire: MisfirePolicy.FireOnce,
            timeoutMs: 0,
            maxRetries: 0,
          },
          ['s1'],
          T0,
        ),
      );
    }
    const events = new ServerEventBus();
    events.on('fires:claimed', ({ executions }) => handOffs.push({ at: clock.now(), executions }));
    scheduler = new Scheduler({
      serverId: 's1',
      executions: stores.executions,
      clock,
      events,
      logger: silentLogger,
      leadMs: LEAD,
      claimAheadMs: AHEAD,
      // Two claims per statement: the three fires of an instant take two statements.
      maxClaimsPerTick: 2,
    });
    scheduler.update(jobs, [], new Map());
  });

  afterEach(async () => {
    await scheduler?.stop();
    await stores.close();
    jobs.length = 0;
    handOffs.length = 0;
  });

  async function rowsAt(scheduledAt: number): Promise<Execution[]> {
    const page = await stores.executions.page({ limit: 500, cursor: null });
    return page.items.filter((e) => e.scheduledAt === scheduledAt);
  }

  it('claims the rows a whole margin ahead and hands all fires of an instant off together at the lead', async () => {
    const instant = T0 + 500; // the next whole second, within LEAD + AHEAD of T0
    scheduler.start();
    // The manual clock runs a timer already due (the claim's wake-up) when it moves.
    clock.advance(0);
    await waitFor('the rows of the next instant', async () => (await rowsAt(instant)).length === 3);
    // Claimed, but not handed off: the instant is 500 ms away, the lead 300.
    expect(handOffs).toEqual([]);
    clock.advance(500 - LEAD - 1);
    expect(handOffs).toEqual([]);
    clock.advance(1);
    expect(handOffs).toHaveLength(1);
    expect(handOffs[0]?.at).toBe(instant - LEAD);
    const rows = await rowsAt(instant);
    expect(handOffs[0]?.executions.map((e) => e.id).sort()).toEqual(rows.map((e) => e.id).sort());
    expect(rows.every((e) => e.ownerServerId === 's1' && e.state === 'claimed')).toBe(true);
  });

  it('hands every claimed fire off exactly once, each at its lead, second after second', async () => {
    scheduler.start();
    // The manual clock runs a timer already due (the claim's wake-up) when it moves.
    clock.advance(0);
    const first = T0 + 500;
    for (let s = 0; s < 5; s++) {
      await waitFor(`the rows of instant ${s}`, async () => {
        return (await rowsAt(first + s * 1_000)).length === 3;
      });
      clock.advance(1_000);
    }
    await waitFor('the rows of the last instant', async () => {
      return (await rowsAt(first + 5_000)).length === 3;
    });
    const page = await stores.executions.page({ limit: 500, cursor: null });
    const handed = handOffs.flatMap((h) => h.executions);
    const handedIds = handed.map((e) => e.id);
    expect(new Set(handedIds).size).toBe(handedIds.length);
    // Every row whose hand-off time has come was handed off; the others are still held.
    const due = page.items.filter((e) => e.scheduledAt - LEAD <= clock.now());
    expect(handedIds.sort()).toEqual(due.map((e) => e.id).sort());
    // The next instant's rows are claimed, and held: its hand-off is 200 ms away.
    expect(page.items.length).toBe(due.length + 3);
    expect(handOffs).toHaveLength(5);
    for (const h of handOffs) {
      const instants = new Set(h.executions.map((e) => e.scheduledAt));
      expect(instants.size).toBe(1);
      expect(h.executions).toHaveLength(3);
      expect(h.at).toBe([...instants][0]! - LEAD);
    }
  });

  it('hands off what it holds when it stops: no row is left claimed and unseen', async () => {
    const instant = T0 + 500;
    scheduler.start();
    // The manual clock runs a timer already due (the claim's wake-up) when it moves.
    clock.advance(0);
    await waitFor('the rows of the next instant', async () => (await rowsAt(instant)).length === 3);
    expect(handOffs).toEqual([]);
    await scheduler.stop();
    expect(handOffs.flatMap((h) => h.executions.map((e) => e.id)).sort()).toEqual(
      (await rowsAt(instant)).map((e) => e.id).sort(),
    );
  });

  it('hands off late only the fires still its own: one a peer adopted meanwhile is not run twice', async () => {
    const instant = T0 + 500;
    scheduler.start();
    clock.advance(0);
    await waitFor('the rows of the next instant', async () => (await rowsAt(instant)).length === 3);
    // This server froze: a peer took it for dead and adopted one of its claimed fires.
    const [adopted, ...kept] = await rowsAt(instant);
    const taken = await stores.executions.adoptOrphans('s1', 's2', undefined, [adopted!.id]);
    expect(taken.map((e) => e.id)).toEqual([adopted!.id]);
    // It resumes well after the hand-off was due: the timer runs late.
    clock.set(T0 + 2_000);
    const ofInstant = () =>
      handOffs.flatMap((h) => h.executions.filter((e) => e.scheduledAt === instant));
    await waitFor('the late hand-off', () => ofInstant().length > 0);
    // Later instants' fires, claimed on resuming, are handed off too; none of them is checked.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const handed = ofInstant().map((e) => e.id);
    expect(handed.sort()).toEqual(kept.map((e) => e.id).sort());
  });
});
