import type { Job, ServerMember, Stores } from '@carillon/core';
import { ManualClock, silentLogger } from '@carillon/core';
import { InProcessCoordinator } from '@carillon/coordination';
import { openStores } from '@carillon/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseHealth } from '../src/database/database-health.js';
import { ServerEventBus } from '../src/events.js';
import { HolderLeadership } from '../src/holders/holder-leadership.js';
import { Membership } from '../src/membership.js';
import { perSecondEchoJob } from './support/dispatch-set-up.js';

// The holder leader gives holders to jobs that have none (created while no server was live)
// and replaces gone ones; the first holder claims a job's fires, so it is the least often
// first, counted over every job of the ServerGroup. A real SQLite store and the in-process
// coordinator.

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const member = (serverId: string): ServerMember => ({
  serverId,
  cluster: 101,
  serverGroup: 1,
  room: 'r1',
  rpcAddress: '127.0.0.1:1',
});

let stores: Stores;
let coordinator: InProcessCoordinator;

beforeEach(async () => {
  stores = await openStores({ url: 'sqlite::memory:' });
  coordinator = new InProcessCoordinator();
  await coordinator.start();
});

afterEach(async () => {
  await coordinator.stop();
  await stores.close();
});

/** `count` jobs of one group (backups 3), each held by `holders`. */
async function jobs(count: number, holders: readonly string[]): Promise<Job[]> {
  const first = await perSecondEchoJob(
    stores,
    T0,
    { cluster: 101, backups: 3, name: 'g' },
    holders,
  );
  const made = [first];
  for (let i = 1; i < count; i++)
    made.push(await stores.jobs.create({ ...first, name: `job ${i}` }, [...holders], T0));
  return made;
}

/** Campaigns with `live` servers up; resolves once elected and holders are assigned. */
async function lead(live: readonly string[]): Promise<HolderLeadership> {
  const clock = new ManualClock(T0);
  const membership = new Membership('s1');
  membership.update(live.map(member), T0);
  const events = new ServerEventBus();
  const leadership = new HolderLeadership({
    cluster: 101,
    serverGroup: 1,
    stores,
    coordinator,
    membership,
    clock,
    health: new DatabaseHealth({ clock, events, logger: silentLogger, isTransient: () => false }),
    logger: silentLogger,
  });
  await new Promise<void>((resolve) => {
    void leadership.campaign(() => Promise.resolve(resolve()));
  });
  return leadership;
}

async function firstHolders(groupId: string): Promise<Record<string, number>> {
  const firsts: Record<string, number> = {};
  for (const job of await stores.jobs.listByGroup(groupId)) {
    const first = job.holders[0] ?? '-';
    firsts[first] = (firsts[first] ?? 0) + 1;
  }
  return firsts;
}

describe('HolderLeadership', () => {
  it('gives jobs without holders first holders in turn', async () => {
    const made = await jobs(30, []);
    const leadership = await lead(['s1', 's2', 's3']);
    expect(await firstHolders(made[0]!.groupId)).toEqual({ s1: 10, s2: 10, s3: 10 });
    for (const job of await stores.jobs.listByGroup(made[0]!.groupId))
      expect([...job.holders].sort()).toEqual(['s1', 's2', 's3']);
    leadership.stop();
  });

  it('counts the first holders jobs already have, and evens them out with new ones', async () => {
    const held = await jobs(12, ['s1', 's2', 's3']);
    await jobs(12, []);
    const leadership = await lead(['s1', 's2', 's3']);
    expect(await firstHolders(held[0]!.groupId)).toEqual({ s1: 12 });
    // The second group's 12 go to s2 and s3, 6 each; s1 was first of 12 already.
    const groups = await stores.groups.list();
    const second = groups.find((g) => g.id !== held[0]!.groupId)!;
    expect(await firstHolders(second.id)).toEqual({ s2: 6, s3: 6 });
    leadership.stop();
  });
});
