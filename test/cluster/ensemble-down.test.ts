// The whole ZooKeeper ensemble down for longer than the session: the servers stop claiming and
// dispatching (no client runs anything while it is down), and when it returns they claim again
// and the misfire policy accounts for every instant of the gap: each has exactly one row (run
// or recorded skipped), and nothing ran twice.
import { waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';
import { readFireWindow, startPerSecondJobs } from './per-second-window.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ servers: 2 });
}, 120_000);

afterAll(() => cluster?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the whole ZooKeeper ensemble down past the session', () => {
  it('stops dispatching, then accounts for every instant by the misfire policy', async () => {
    const jobIds = await startPerSecondJobs(cluster, 'zk-down', 4);
    const from = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    await sleep(2_000);
    for (const node of cluster.zk.nodes) await node.kill();
    const downAt = Date.now();
    await waitFor(
      'every server to stop claiming',
      () =>
        cluster.servers.every((s) =>
          s.process.output().includes('coordinator session not live: stopped claiming'),
        ),
      { timeoutMs: 15_000 },
    );
    const stoppedAt = Date.now();
    // Past the misfire threshold (5 s): instants of the gap go to the misfire policy.
    await sleep(9_000);
    const quietFrom = stoppedAt + 1_000;
    const quietTo = Date.now();
    for (const node of cluster.zk.nodes) await node.restart();
    await waitFor(
      'every server to claim again',
      () =>
        cluster.servers.every((s) => s.process.output().includes('claiming and dispatching again')),
      { timeoutMs: 30_000 },
    );
    await sleep(4_000);
    const until = Math.floor(Date.now() / 1000) * 1000 - 2_000;
    for (const id of jobIds) await cluster.api('POST', `/api/v1/jobs/${id}/disable`);
    await sleep(1_500);

    const { runs, report, ranTwice, fires, rows } = await readFireWindow(
      cluster,
      jobIds,
      from,
      until,
    );
    expect(report.duplicates).toEqual([]);
    // One run per fire, whatever its attempt.
    expect(ranTwice).toEqual([]);
    // Nothing started while every server was cut off.
    expect(runs.filter((r) => r.startedAt > quietFrom && r.startedAt < quietTo)).toEqual([]);
    const skipped = rows.filter((r) => r.state === 'skipped');
    console.log(
      `ensemble-down figures ${JSON.stringify({ downMs: quietTo - downAt, instants: fires.length * jobIds.length, rows: rows.length, ran: runs.length, skipped: skipped.length })}`,
    );
    // Every instant has its row: run, or recorded skipped by the misfire policy (fire_once).
    expect(rows).toHaveLength(fires.length * jobIds.length);
    expect(skipped.length).toBeGreaterThan(0);
    for (const r of skipped) expect(r.reason).toMatch(/misfire/);
    expect(rows.filter((r) => r.state !== 'skipped' && r.state !== 'succeeded')).toEqual([]);
  }, 110_000);
});
