// MariaDB itself restarted mid-run (issue 7): a throwaway server of the test's own (testkit
// `startMariaDb`, never the shared one) under two servers and ZooKeeper, per-second jobs. The
// database shuts down cleanly (connections closed, port refused) and stays down several
// seconds: nothing is claimed meanwhile; once it is back, every instant of the gap has one
// row, run late or recorded skipped by the misfire policy, and nothing runs twice.
import { startMariaDb } from '@carillon/testkit';
import type { MariaDbServer } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';
import { readFireWindow, startPerSecondJobs } from './per-second-window.js';

const JOBS = 4;
const DOWN_MS = 6_000;
let mariadb: MariaDbServer;
let cluster: TestCluster;

beforeAll(async () => {
  mariadb = await startMariaDb();
  cluster = await startCluster({ servers: 2, mysqlServerUrl: mariadb.serverUrl });
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  await mariadb?.remove();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MariaDB restarted mid-run', () => {
  it('accounts for every instant of the outage once, with no duplicate', async () => {
    const jobIds = await startPerSecondJobs(cluster, 'db-restart', JOBS);
    const from = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    await sleep(3_000);
    const downAt = Date.now();
    await mariadb.restart(DOWN_MS);
    const upAt = Date.now();
    await sleep(10_000);
    const until = Math.floor(Date.now() / 1000) * 1000 - 2_000;
    for (const id of jobIds) await cluster.api('POST', `/api/v1/jobs/${id}/disable`);
    await sleep(2_000);

    const { runs, report, ranTwice, fires, rows } = await readFireWindow(
      cluster,
      jobIds,
      from,
      until,
    );
    const inGap = runs.filter((r) => r.scheduledAt! >= downAt && r.scheduledAt! < upAt);
    console.log(
      `mariadb-restart figures ${JSON.stringify({
        downMs: upAt - downAt,
        instants: fires.length * jobIds.length,
        rows: rows.length,
        ran: runs.length,
        ranFromGap: inGap.length,
        skipped: rows.filter((r) => r.state === 'skipped').length,
        skipReasons: [...new Set(rows.filter((r) => r.state === 'skipped').map((r) => r.reason))],
        maxLateMs: Math.max(...runs.map((r) => r.startedAt - r.scheduledAt!)),
      })}`,
    );
    expect(report.duplicates).toEqual([]);
    expect(report.overlaps).toEqual([]);
    expect(ranTwice).toEqual([]);
    // Every instant has its row: run, or recorded skipped (with a reason) by the misfire policy.
    expect(rows).toHaveLength(fires.length * jobIds.length);
    expect(
      rows
        .filter((r) => r.state !== 'succeeded' && !(r.state === 'skipped' && r.reason !== null))
        .map((r) => [r.jobId, r.scheduledAt, r.state, r.reason]),
    ).toEqual([]);
    // A succeeded row ran in the ledger, once.
    const ran = new Set(runs.map((r) => `${r.jobId}@${r.scheduledAt}`));
    expect(
      rows
        .filter((r) => r.state === 'succeeded' && !ran.has(`${r.jobId}@${r.scheduledAt}`))
        .map((r) => [r.jobId, r.scheduledAt]),
    ).toEqual([]);
  }, 150_000);
});
