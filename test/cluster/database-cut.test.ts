// The database cut off from every server mid-run (a partition: connections hang, no FIN or RST,
// the harshest form of "MariaDB restarted"): while it lasts nothing is claimed; when it heals,
// every instant of the gap is claimed once (delayed, not missed, since the database held the
// servers up) and nothing runs twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';
import { readFireWindow, startPerSecondJobs } from './per-second-window.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ servers: 2, dbProxy: true });
}, 120_000);

afterAll(() => cluster?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the database cut off from every server mid-run', () => {
  it('runs every instant of the gap once when it comes back', async () => {
    const jobIds = await startPerSecondJobs(cluster, 'db-cut', 4);
    const from = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    await sleep(2_000);
    cluster.dbProxy?.partition();
    await sleep(8_000);
    cluster.dbProxy?.heal();
    await sleep(8_000);
    const until = Math.floor(Date.now() / 1000) * 1000 - 2_000;
    for (const id of jobIds) await cluster.api('POST', `/api/v1/jobs/${id}/disable`);
    await sleep(1_500);

    const { runs, report, ranTwice, fires, rows } = await readFireWindow(
      cluster,
      jobIds,
      from,
      until,
    );
    console.log(
      `database-cut figures ${JSON.stringify({ instants: fires.length * jobIds.length, rows: rows.length, ran: runs.length, skipped: rows.filter((r) => r.state === 'skipped').length, maxLateMs: Math.max(...runs.map((r) => r.startedAt - r.scheduledAt!)) })}`,
    );
    expect(report.duplicates).toEqual([]);
    expect(ranTwice).toEqual([]);
    expect(rows).toHaveLength(fires.length * jobIds.length);
    // Every instant is accounted for: run, or recorded skipped by the misfire policy.
    expect(rows.filter((r) => r.state !== 'succeeded' && r.state !== 'skipped')).toEqual([]);
  }, 110_000);
});
