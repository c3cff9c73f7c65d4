import { describe, expect, it } from 'vitest';
import type { Execution, ExecutionStore, Job } from '@carillon/core';
import { ExecutionState, ManualClock, silentLogger } from '@carillon/core';
import { ServerEventBus } from '../events.js';
import { StandbyWatch } from './standby-watch.js';

const job = { id: 1, groupId: '101-1-3-1', holders: ['s1', 's2'] } as unknown as Job;

/** A standby over a store whose one fire stays claimed by a live peer; its reads by instant. */
function standby(readMs: number): { clock: ManualClock; watch: StandbyWatch; reads: number[] } {
  const clock = new ManualClock(0);
  const reads: number[] = [];
  const executions = {
    findFires: (fires: ReadonlyArray<{ scheduledAt: number }>) => {
      reads.push(clock.now());
      // The read takes `readMs`: the check ends that far into its slot.
      clock.set(clock.now() + readMs);
      return Promise.resolve(
        fires.map(
          (f) =>
            ({
              id: `e${f.scheduledAt}`,
              jobId: job.id,
              scheduledAt: f.scheduledAt,
              state: ExecutionState.Claimed,
              ownerServerId: 's1',
              attempt: 1,
            }) as Execution,
        ),
      );
    },
  } as unknown as ExecutionStore;
  const watch = new StandbyWatch({
    serverId: 's2',
    executions,
    clock,
    events: new ServerEventBus(),
    logger: silentLogger,
    jobOf: () => job,
    ownersGone: () => Promise.resolve(new Set()),
  });
  return { clock, watch, reads };
}

async function walk(clock: ManualClock, to: number): Promise<void> {
  while (clock.now() < to) {
    clock.set(Math.floor(clock.now() / 10) * 10 + 10);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

describe('StandbyWatch', () => {
  it('looks again at a peer’s claimed fire every recheckMs from its slot, not a slot later', async () => {
    const { clock, watch, reads } = standby(5);
    watch.watch(job, 1_000);
    await walk(clock, 1_650);
    // Checked 200 ms after the instant, then every 100 ms (rounding the check's end up to the
    // next slot made it every 200).
    expect(reads).toEqual([1_200, 1_300, 1_400, 1_500, 1_600]);
  });

  it('waits a whole recheckMs after a check that took longer than that', async () => {
    const { clock, watch, reads } = standby(130);
    watch.watch(job, 1_000);
    await walk(clock, 1_900);
    expect(reads).toEqual([1_200, 1_500, 1_800]);
  });

  it('reads fires whose check time has passed in one read, in the next slot', async () => {
    const { clock, watch, reads } = standby(5);
    clock.set(1_450);
    for (const at of [1_000, 1_100, 1_200]) watch.watch(job, at);
    await walk(clock, 1_520);
    expect(reads).toEqual([1_500]);
  });
});
