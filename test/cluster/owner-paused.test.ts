// A claimed fire's owner frozen (SIGSTOP ~1.5 s) while a peer adopts the fire, then resumed:
// the owner's dispatch is fenced (`claimed → dispatched` by owner and attempt, written before
// the send), so the resumed owner does not send what the peer took, and no handler runs twice.
// Two servers, ZooKeeper, MariaDB; the session (4 s) outlives the pause, so only the heartbeat
// (seen unchanged for 600 ms) tells the peer that the owner is gone. (The owner's own session
// watchdog may count the pause as silence and suspend it for a moment when it wakes: that
// does not matter here, the fires are in its waiting room either way.)
import { checkLedger, readLedger, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';

let cluster: TestCluster;
let group: { groupId: string; token: string };
let jobIds: number[];

beforeAll(async () => {
  cluster = await startCluster({ servers: 2 });
  group = await cluster.createGroup('paused-owner', 2);
  jobIds = await cluster.createPerSecondJobs(group.groupId, 4);
}, 120_000);

afterAll(() => cluster?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a paused owner', () => {
  it('does not send the claimed fires a peer adopted while it was frozen', async () => {
    const jobs = await cluster.stores.jobs.listByGroup(group.groupId);
    const owner = cluster.servers.find((s) => jobs.some((j) => j.holders[0] === s.id))!;
    // No client yet: the owner's claims wait in its waiting room, unsent.
    await waitFor('the owner to hold claimed fires', async () => {
      const rows = await cluster.stores.executions.listUnfinishedByOwner(owner.id);
      return rows.filter((r) => r.state === 'claimed' && r.scheduledAt < Date.now()).length >= 2;
    });
    const pausedAt = Date.now();
    owner.process.pause();
    const stuck = (await cluster.stores.executions.listUnfinishedByOwner(owner.id)).filter(
      (r) => r.state === 'claimed' && r.scheduledAt <= pausedAt,
    );
    expect(stuck.length).toBeGreaterThan(0);
    // The client connects to the peer now, and to the owner once it runs again: the owner then
    // finds a client for the fires in its waiting room, which the peer has adopted meanwhile.
    const clientStarting = cluster.startClient(group.groupId, group.token, 'c1');
    const adopted = await waitFor(
      'the peer to adopt the frozen owner’s claims',
      async () => {
        const rows = await Promise.all(stuck.map((e) => cluster.stores.executions.get(e.id)));
        return rows.every((r) => r !== undefined && r.ownerServerId !== owner.id)
          ? Date.now()
          : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 10 },
    );
    await waitFor('1.5 s of pause', () => Date.now() >= pausedAt + 1_500);
    owner.process.resume();
    const resumedAt = Date.now();
    await clientStarting;
    await waitFor(
      'the adopted fires to run',
      async () => {
        const rows = await Promise.all(stuck.map((e) => cluster.stores.executions.get(e.id)));
        return rows.every((r) => r?.state === 'succeeded');
      },
      { timeoutMs: 20_000 },
    );
    // Time for a resumed owner's stale send, and the run it would start, to show in the ledger.
    await sleep(3_000);
    for (const id of jobIds) await cluster.api('POST', `/api/v1/jobs/${id}/disable`);
    await sleep(1_500);
    const runs = await readLedger(cluster.ledger);
    const stuckRuns = runs.filter((r) => stuck.some((e) => e.id === r.executionId));
    const report = checkLedger(runs);
    console.log(
      `owner-paused figures ${JSON.stringify({ stuck: stuck.length, adoptGap: adopted - pausedAt, pausedMs: resumedAt - pausedAt, stuckRuns: stuckRuns.length, runs: runs.length, duplicates: report.duplicates.length })}`,
    );
    // Each adopted fire ran once, at the adopter's attempt; the owner's attempt never ran.
    expect(stuckRuns.map((r) => r.attempt)).toEqual(stuck.map(() => 2));
    expect(new Set(stuckRuns.map((r) => r.executionId)).size).toBe(stuck.length);
    expect(report.duplicates).toEqual([]);
    expect(report.overlaps).toEqual([]);
  }, 90_000);
});
