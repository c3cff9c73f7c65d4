// Server failover on a real cluster (three `carillon server` processes, ZooKeeper, MariaDB):
// fires a server claimed but could not dispatch (no client yet) are adopted by another holder
// within a second of its SIGKILL (its heartbeat seen unchanged for 600 ms, then the standby's
// next 100 ms look); then a server frozen with SIGSTOP past its session and resumed causes no
// duplicate and no miss.
import { readLedger, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { percentile, startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';
import { readFireWindow } from './per-second-window.js';

let cluster: TestCluster;
let group: { groupId: string; token: string };
let jobIds: number[];

beforeAll(async () => {
  cluster = await startCluster({ servers: 3 });
  group = await cluster.createGroup('failover', 3);
  jobIds = await cluster.createPerSecondJobs(group.groupId, 6);
}, 120_000);

afterAll(() => cluster?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('server failover', () => {
  it("a killed owner's claimed, undispatched fires are dispatched by another holder", async () => {
    const jobs = await cluster.stores.jobs.listByGroup(group.groupId);
    const owner = cluster.servers.find((s) => jobs.some((j) => j.holders[0] === s.id))!;
    const ownJobs = jobs.filter((j) => j.holders[0] === owner.id).map((j) => j.id);
    // No client yet: the owner's claims wait for one, unsent.
    await waitFor('the owner to hold claimed fires', async () => {
      const rows = await cluster.stores.executions.listUnfinishedByOwner(owner.id);
      return rows.filter((r) => r.state === 'claimed' && r.scheduledAt < Date.now()).length >= 4;
    });
    const killedAt = await cluster.kill(owner);
    const stuck = (await cluster.stores.executions.listUnfinishedByOwner(owner.id)).filter(
      (r) => r.state === 'claimed' && r.scheduledAt <= killedAt,
    );
    expect(stuck.length).toBeGreaterThan(0);
    // The client starts meanwhile (a second or so for a process): the adoption itself is timed
    // by watching the rows change owner, the run by the ledger.
    const clientStarting = cluster.startClient(group.groupId, group.token, 'c1');
    const adoptedAt = new Map<string, number>();
    await waitFor(
      'the stuck fires to change owner',
      async () => {
        for (const e of stuck) {
          if (adoptedAt.has(e.id)) continue;
          const row = await cluster.stores.executions.get(e.id);
          if (row !== undefined && row.ownerServerId !== owner.id) adoptedAt.set(e.id, Date.now());
        }
        return adoptedAt.size === stuck.length;
      },
      { timeoutMs: 10_000, intervalMs: 10 },
    );
    await clientStarting;
    const clientReadyAt = Date.now();
    const finished = await waitFor(
      'the stuck fires to run elsewhere',
      async () => {
        const rows = await Promise.all(stuck.map((e) => cluster.stores.executions.get(e.id)));
        return rows.every((r) => r?.state === 'succeeded') ? rows : undefined;
      },
      { timeoutMs: 20_000 },
    );
    const runs = await readLedger(cluster.ledger);
    const runGaps: number[] = [];
    // From the later of the adoption and the client being ready: routing on the adopter.
    const routeGaps: number[] = [];
    const readopted = finished.filter((e) => e?.attempt !== 2);
    if (readopted.length > 0) {
      // Which path moved them past the adoption's attempt: the rows' last reason and what the
      // servers logged of them.
      const ids = readopted.map((e) => e!.id);
      console.log(`owner-killed past attempt 2 ${JSON.stringify(readopted)}`);
      for (const s of cluster.servers)
        console.log(
          `${s.id}: ${s.process
            .output()
            .split('\n')
            .filter((l) => ids.some((id) => l.includes(id)))
            .join('\n')}`,
        );
    }
    for (const e of finished) {
      expect(e?.ownerServerId).not.toBe(owner.id);
      // Attempt 2: one adoption. A later one when a standby also judged the adopter gone (its
      // beat silent for 600 ms on a loaded machine) and took the fire over from it, fenced: the
      // adopter's dispatch write was then refused ("execution changed elsewhere; dropped"), as
      // a CI run showed (stop 27: s2 adopted, s3 took over at attempt 3). Either way the fire
      // ran once, at the row's attempt.
      expect(e?.attempt).toBeGreaterThanOrEqual(2);
      const run = runs.filter((r) => r.executionId === e?.id);
      expect(run).toHaveLength(1);
      expect(run[0]?.attempt).toBe(e?.attempt);
      runGaps.push(run[0]!.startedAt - killedAt);
      routeGaps.push(run[0]!.startedAt - Math.max(clientReadyAt, adoptedAt.get(e!.id)!));
    }
    // From the kill (these fires' instants are all before it): the owner's death to another
    // holder owning them. Polled every 10 ms, so up to ~10 ms (plus a read) late.
    const adoptGaps = [...adoptedAt.values()].map((at) => at - killedAt);
    console.log(
      `owner-killed figures ${JSON.stringify({ stuck: stuck.length, ownJobs: ownJobs.length, adoptGapP50: percentile(adoptGaps, 50), adoptGapP99: percentile(adoptGaps, 99), runGapMax: Math.max(...runGaps), clientStartMs: clientReadyAt - killedAt, routeGapMax: Math.max(...routeGaps) })}`,
    );
    if (percentile(adoptGaps, 99) > 1_000) {
      console.log(
        `owner-killed stuck ${JSON.stringify(stuck.map((e) => ({ dueBeforeKill: killedAt - e.scheduledAt, claimedAfterInstant: e.createdAt - e.scheduledAt, adoptGap: (adoptedAt.get(e.id) ?? Number.NaN) - killedAt })))}`,
      );
      // What the survivors said about it, to tell a slow machine from a missed watch.
      for (const s of cluster.servers.filter((x) => x !== owner))
        console.log(
          `${s.id}: ${s.process
            .output()
            .split('\n')
            .filter((l) => /adopt|session|standby/.test(l))
            .join('\n')}`,
        );
    }
    // Loose bound on a noisy shared machine; the figure printed above is the measurement.
    expect(percentile(adoptGaps, 99)).toBeLessThan(1_500);
    // The run also waits for the client process to start and connect (seconds on a loaded
    // machine): once both are there, the adopter sends at once.
    expect(Math.max(...routeGaps)).toBeLessThan(5_000);
  }, 60_000);

  it('a server frozen past its session and resumed causes no duplicate', async () => {
    const live = cluster.servers.filter((s) => s.killedAt === undefined);
    const jobs = await cluster.stores.jobs.listByGroup(group.groupId);
    // The server preferred (first live holder) for the most jobs: it claims at lead time.
    const preferredCount = (id: string) =>
      jobs.filter((j) => j.holders.find((h) => live.some((s) => s.id === h)) === id).length;
    const frozen = [...live].sort((a, b) => preferredCount(b.id) - preferredCount(a.id))[0]!;
    expect(preferredCount(frozen.id)).toBeGreaterThan(0);
    await sleep(2_000);
    const from = Math.ceil(Date.now() / 1000) * 1000;
    frozen.process.pause();
    await sleep(8_000);
    frozen.process.resume();
    await waitFor(
      'the resumed server to rejoin',
      () => frozen.process.output().includes('claiming and dispatching again'),
      { timeoutMs: 20_000 },
    );
    await sleep(4_000);
    const until = Math.floor(Date.now() / 1000) * 1000 - 2_000;
    for (const id of jobIds) await cluster.api('POST', `/api/v1/jobs/${id}/disable`);
    await sleep(1_500);
    const { runs, report, ranTwice } = await readFireWindow(cluster, jobIds, from, until);
    console.log(
      `frozen-server figures ${JSON.stringify({ fires: runs.length, misses: report.misses.length, duplicates: report.duplicates.length })}`,
    );
    expect(report.duplicates).toEqual([]);
    expect(report.overlaps).toEqual([]);
    expect(ranTwice).toEqual([]);
    expect(report.misses).toEqual([]);
  }, 60_000);
});
