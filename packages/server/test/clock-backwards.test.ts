import type { Execution, Job, Stores } from '@carillon/core';
import { ManualClock, silentLogger } from '@carillon/core';
import { ServerEventBus } from '@carillon/server';
import { openStores } from '@carillon/storage';
import type { Stack } from '@carillon/testkit';
import { startClientProcess, startStack, testDatabases, waitFor } from '@carillon/testkit';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Scheduler } from '../src/scheduling/scheduler.js';
import { nextServerEvent } from './support/fire-ledger.js';
import { perSecondEchoJob } from './support/dispatch-set-up.js';

// The wall clock can be stepped (NTP, an operator, a VM resumed): a schedule follows it, but
// waits (timeouts, fence intervals, retry delays) are lengths of time and must not stretch or
// shrink with it.

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0) + 500;

describe('the scheduler under a wall clock stepped backwards and forwards', () => {
  let stores: Stores;
  let clock: ManualClock;
  let scheduler: Scheduler;
  let job: Job;
  const claimed: Execution[] = [];
  const missed: number[] = [];

  beforeEach(async () => {
    stores = await openStores({ url: 'sqlite::memory:' });
    clock = new ManualClock(T0);
    job = await perSecondEchoJob(stores, T0, { cluster: 101, backups: 1, name: 'clock' }, ['s1']);
    const events = new ServerEventBus();
    events.on('fires:claimed', ({ executions }) => claimed.push(...executions));
    events.on('fires:missed', ({ instants }) => missed.push(...instants));
    scheduler = new Scheduler({
      serverId: 's1',
      executions: stores.executions,
      clock,
      events,
      logger: silentLogger,
    });
    // Instants up to the job's creation are not its fires.
    highWater = Math.floor(T0 / 1_000) * 1_000;
    scheduler.update([job], [], new Map());
    scheduler.start();
  });

  afterEach(async () => {
    await scheduler.stop();
    await stores.close();
    claimed.length = 0;
    missed.length = 0;
  });

  let highWater = 0;

  /** Waits for the claim of the instant now due (within the lead), unless already seen. */
  async function claimOfDue(): Promise<void> {
    const due = Math.floor((clock.now() + 300) / 1_000) * 1_000;
    if (due <= highWater) return;
    await waitFor(`the claim of ${new Date(due).toISOString()}`, () =>
      claimed.some((e) => e.scheduledAt === due),
    );
    highWater = due;
  }

  /** Lets `seconds` pass one second at a time, waiting each time for the claim it brings. */
  async function run(seconds: number): Promise<void> {
    for (let i = 0; i < seconds; i++) {
      await claimOfDue();
      clock.advance(1_000);
    }
    await claimOfDue();
  }

  async function stored(): Promise<Execution[]> {
    const items: Execution[] = [];
    let cursor: string | null = null;
    do {
      const page = await stores.executions.page({ jobId: job.id, limit: 500, cursor });
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return items.sort((a, b) => a.scheduledAt - b.scheduledAt);
  }

  function expectOnePerSecond(executions: readonly Execution[]): void {
    const instants = executions.map((e) => e.scheduledAt);
    expect(new Set(instants).size).toBe(instants.length);
    expect(instants.slice(1).filter((at, i) => at - instants[i]! !== 1_000)).toEqual([]);
  }

  it('a step back: instants already fired wait for the clock, none doubled, none missed', async () => {
    await run(5);
    const before = claimed.length;
    const lastClaimed = Math.max(...claimed.map((e) => e.scheduledAt));
    clock.set(clock.now() - 10_000);
    // Ten seconds of wall time that were already scheduled: nothing new is due in them.
    highWater = lastClaimed;
    await run(10);
    expect(claimed.length).toBe(before);
    // Past the point it had reached, the schedule goes on (no hang).
    await run(5);
    expect(claimed.length).toBeGreaterThanOrEqual(before + 4);
    expect(missed).toEqual([]);
    const executions = await stored();
    expectOnePerSecond(executions);
    expect(executions.every((e) => e.cause === 'schedule')).toBe(true);
    expect(claimed.map((e) => e.id).sort()).toEqual(executions.map((e) => e.id).sort());
  });

  it('a step forward: the instants stepped over go to the misfire policy, then the schedule goes on', async () => {
    await run(3);
    const lastClaimed = Math.max(...claimed.map((e) => e.scheduledAt));
    // Less than the 1,000 missed instants recorded one by one.
    clock.set(clock.now() + 10 * 60_000);
    await waitFor('the missed instants', () => missed.length > 0);
    await run(3);
    const executions = await stored();
    expectOnePerSecond(executions);
    // fire_once: the stepped-over minutes are one fire (the latest instant) and skipped rows.
    const misfired = executions.filter((e) => e.cause === 'misfire');
    expect(misfired.length).toBeGreaterThan(500);
    expect(misfired[0]?.scheduledAt).toBe(lastClaimed + 1_000);
    expect(misfired.filter((e) => e.state !== 'skipped').map((e) => e.scheduledAt)).toEqual([
      misfired.at(-1)?.scheduledAt,
    ]);
    expect(executions.at(-1)?.cause).toBe('schedule');
  });
});

describe('a server whose wall clock steps back while it waits out a fence interval', () => {
  const database = testDatabases().find((d) => d.label === 'sqlite');
  if (database === undefined) throw new Error('no sqlite');
  let stack: Stack;
  // A clock that runs with real time (the client starts work on its own clock) and can be
  // stepped: `advance` moves both its wall time and its elapsed time, `set` only the wall.
  const clock = new ManualClock(Date.now());
  let last = Date.now();
  const ticking = setInterval(() => {
    const now = Date.now();
    clock.advance(now - last);
    last = now;
  }, 10);

  afterAll(async () => {
    clearInterval(ticking);
    await stack?.stop();
    await database.drop();
  });

  it('dispatches the work of a vanished client after the interval, not an hour later', async () => {
    stack = await startStack({
      dbUrl: await database.create(),
      server: { clock, fenceMs: 1_000 },
    });
    const { groupId, clientToken } = await stack.createGroup('clock-fence');
    const client = await startClientProcess({
      console: stack.consoleUrl,
      group: groupId,
      token: clientToken,
      clientId: 'clock-fence-client',
      fenceMs: 1_000,
    });
    const { id: jobId } = await stack.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'long sleep',
      trigger: { type: 'cron', cron: '0 0 0 1 1 ?', timeZone: 'UTC' },
      handler: 'sleep',
      param: '60000',
    });
    const { executionId } = await stack.api<{ executionId: string }>(
      'POST',
      `/api/v1/jobs/${jobId}/trigger`,
    );
    await client.waitForEvent((e) => e.event === 'started' && e.executionId === executionId);
    await waitFor(
      'the execution to be recorded running',
      async () => (await stack.stores.executions.get(executionId))?.state === 'running',
    );
    const gone = nextServerEvent(stack, 'client:disconnected');
    await client.kill();
    await gone;
    clock.set(clock.now() - HOUR);
    const after = await waitFor(
      'the execution to leave its vanished client',
      async () => {
        const e = await stack.stores.executions.get(executionId);
        return e !== undefined && (e.state !== 'running' || e.attempt > 1) ? e : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(after.attempt > 1 || after.state === 'failed').toBe(true);
  });
});
