// The ZooKeeper ensemble's leader killed mid-run: three `carillon server` processes on a
// three-node ensemble keep their sessions through the ensemble's failover (or rejoin), and no
// fire is missed or run twice (ledger and database).
import { checkLedger, readLedger, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ servers: 3, zkNodes: 3 });
}, 120_000);

afterAll(() => cluster?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the ZooKeeper leader killed while jobs fire every second', () => {
  it('misses and doubles nothing', async () => {
    const { groupId, token } = await cluster.createGroup('zk', 3);
    await cluster.startClient(groupId, token, 'c1');
    const jobIds = await cluster.createPerSecondJobs(groupId, 6);
    await waitFor('every job to run', async () => {
      const runs = await readLedger(cluster.ledger);
      return jobIds.every((id) => runs.some((r) => r.jobId === id));
    });
    const from = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    await sleep(3_000);
    const leader = await cluster.zk.leader();
    await leader.kill();
    await sleep(10_000);
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
      `zookeeper-leader-killed figures ${JSON.stringify({ fires: runs.length, misses: report.misses.length, duplicates: report.duplicates.length, maxLateMs: Math.max(...runs.map((r) => r.startedAt - r.scheduledAt!)) })}`,
    );
    expect(report.misses).toEqual([]);
    expect(report.duplicates).toEqual([]);
    expect([...perFire.values()].filter((n) => n > 1)).toEqual([]);
    const rows = await cluster.stores.executions.findFires(
      [...expected.entries()].flatMap(([jobId, instants]) =>
        instants.map((scheduledAt) => ({ jobId, scheduledAt })),
      ),
    );
    expect(rows.filter((r) => r.state !== 'succeeded')).toEqual([]);
    expect(rows).toHaveLength(runs.length);
  }, 90_000);
});
