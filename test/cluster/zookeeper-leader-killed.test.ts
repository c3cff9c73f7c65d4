// The ZooKeeper ensemble's leader killed mid-run: three `carillon server` processes on a
// three-node ensemble keep their sessions through the ensemble's failover (or rejoin), and no
// fire is missed or run twice (ledger and database).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';
import { readFireWindow, startPerSecondJobs } from './per-second-window.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ servers: 3, zkNodes: 3 });
}, 120_000);

afterAll(() => cluster?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the ZooKeeper leader killed while jobs fire every second', () => {
  it('misses and doubles nothing', async () => {
    const jobIds = await startPerSecondJobs(cluster, 'zk', 6, 3);
    const from = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    await sleep(3_000);
    const leader = await cluster.zk.leader();
    await leader.kill();
    await sleep(10_000);
    const until = Math.floor(Date.now() / 1000) * 1000 - 2_000;
    for (const id of jobIds) await cluster.api('POST', `/api/v1/jobs/${id}/disable`);
    await sleep(1_500);
    const { runs, report, ranTwice, rows } = await readFireWindow(cluster, jobIds, from, until);
    console.log(
      `zookeeper-leader-killed figures ${JSON.stringify({ fires: runs.length, misses: report.misses.length, duplicates: report.duplicates.length, maxLateMs: Math.max(...runs.map((r) => r.startedAt - r.scheduledAt!)) })}`,
    );
    expect(report.misses).toEqual([]);
    expect(report.duplicates).toEqual([]);
    expect(ranTwice).toEqual([]);
    expect(rows.filter((r) => r.state !== 'succeeded')).toEqual([]);
    expect(rows).toHaveLength(runs.length);
  }, 90_000);
});
