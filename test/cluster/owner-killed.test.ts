// Server failover on a real cluster (three `carillon server` processes, ZooKeeper, MariaDB):
// fires a server claimed but could not dispatch (no client yet) are adopted by another holder
// within about a second of its SIGKILL; then a server frozen with SIGSTOP past its session and
// resumed causes no duplicate and no miss.
import { checkLedger, readLedger, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { percentile, startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';

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
      return rows.filter((r) => r.state === 'claimed' && r.scheduledAt < Date.now()).length >= 2;
    });
    const killedAt = await cluster.kill(owner);
    const stuck = (await cluster.stores.executions.listUnfinishedByOwner(owner.id)).filter(
      (r) => r.state === 'claimed' && r.scheduledAt <= killedAt,
    );
    expect(stuck.length).toBeGreaterThan(0);
    await cluster.startClient(group.groupId, group.token, 'c1');
    const finished = await waitFor(
      'the stuck fires to run elsewhere',
      async () => {
        const rows = await Promise.all(stuck.map((e) => cluster.stores.executions.get(e.id)));
        return rows.every((r) => r?.state === 'succeeded') ? rows : undefined;
      },
      { timeoutMs: 20_000 },
    );
    const runs = await readLedger(cluster.ledger);
    const gaps: number[] = [];
    for (const e of finished) {
      expect(e?.ownerServerId).not.toBe(owner.id);
      expect(e?.attempt).toBe(2);
      const run = runs.filter((r) => r.executionId === e?.id);
      expect(run).toHaveLength(1);
      gaps.push(run[0]!.startedAt - killedAt);
    }
    console.log(
      `owner-killed figures ${JSON.stringify({ stuck: stuck.length, ownJobs: ownJobs.length, adoptGapP50: percentile(gaps, 50), adoptGapMax: Math.max(...gaps) })}`,
    );
    // Generous: the heartbeat says gone after 1 s; the client connects meanwhile.
    expect(Math.max(...gaps)).toBeLessThan(5_000);
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
    const expected = new Map(
      jobIds.map((id) => {
        const instants: number[] = [];
        for (let at = from; at <= until; at += 1000) instants.push(at);
        return [id, instants] as const;
      }),
    );
    const runs = (await readLedger(cluster.ledger)).filter(
      (r) => r.scheduledAt !== null && r.scheduledAt >= from && r.scheduledAt <= until,
    );
    const report = checkLedger(runs, { expected });
    const perFire = new Map<string, number>();
    for (const r of runs) {
      const key = `${r.jobId}@${r.scheduledAt}`;
      perFire.set(key, (perFire.get(key) ?? 0) + 1);
    }
    console.log(
      `frozen-server figures ${JSON.stringify({ fires: runs.length, misses: report.misses.length, duplicates: report.duplicates.length })}`,
    );
    expect(report.duplicates).toEqual([]);
    expect(report.overlaps).toEqual([]);
    expect([...perFire.values()].filter((n) => n > 1)).toEqual([]);
    expect(report.misses).toEqual([]);
  }, 60_000);
});
