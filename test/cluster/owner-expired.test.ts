// A server frozen (SIGSTOP) past its ZooKeeper session while a client runs its executions, then
// resumed. Its peer sees it leave and takes over its unfinished work; the executions the client
// was running (or had run, its Results stuck in the frozen server's stream) must not run again.
// Before the fix the peer re-dispatched every one of them at the next attempt: each ran twice.
import { checkLedger, readLedger, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ servers: 2 });
}, 120_000);

afterAll(() => cluster?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('an owner frozen past its session while its executions run', () => {
  it('runs each of them once', async () => {
    const { groupId, token } = await cluster.createGroup('expired', 2);
    await cluster.startClient(groupId, token, 'c1');
    // Runs of 600 ms every second: most of the time each job has one running.
    const jobIds = await cluster.createPerSecondJobs(groupId, 4, { name: 'sleep', param: '600' });
    await waitFor('every job to run', async () => {
      const runs = await readLedger(cluster.ledger);
      return jobIds.every((id) => runs.some((r) => r.jobId === id && r.endedAt !== undefined));
    });
    const jobs = await cluster.stores.jobs.listByGroup(groupId);
    const firsts = (id: string) => jobs.filter((j) => j.holders[0] === id).length;
    const frozen = [...cluster.servers].sort((a, b) => firsts(b.id) - firsts(a.id))[0]!;
    expect(firsts(frozen.id)).toBeGreaterThan(0);
    const from = Math.ceil(Date.now() / 1000) * 1000 - 2_000;
    await waitFor(
      'the frozen-to-be server to have an execution running',
      async () => {
        const rows = await cluster.stores.executions.listUnfinishedByOwner(frozen.id);
        return rows.some((r) => r.state === 'running');
      },
      { intervalMs: 20 },
    );
    frozen.process.pause();
    const frozenAt = Date.now();
    // Session 4 s: the peer sees it leave before it resumes.
    await sleep(7_000);
    frozen.process.resume();
    await waitFor(
      'the resumed server to claim again',
      () => frozen.process.output().includes('claiming and dispatching again'),
      { timeoutMs: 20_000 },
    );
    await sleep(3_000);
    const until = Math.floor(Date.now() / 1000) * 1000 - 2_000;
    for (const id of jobIds) await cluster.api('POST', `/api/v1/jobs/${id}/disable`);
    await sleep(2_000);

    const runs = (await readLedger(cluster.ledger)).filter(
      (r) => r.scheduledAt !== null && r.scheduledAt >= from && r.scheduledAt <= until,
    );
    const report = checkLedger(runs);
    const perFire = new Map<string, typeof runs>();
    for (const r of runs) {
      const key = `${r.jobId}@${r.scheduledAt}`;
      perFire.set(key, [...(perFire.get(key) ?? []), r]);
    }
    const twice = [...perFire.values()].filter((rs) => rs.length > 1);
    console.log(
      `owner-expired figures ${JSON.stringify({
        fires: perFire.size,
        ranTwice: twice.length,
        frozenAt,
        adopted: cluster
          .logs()
          .split('\n')
          .filter((l) => l.includes('adopted executions of a departed server')).length,
      })}`,
    );
    if (twice.length > 0) console.log(`owner-expired ran twice ${JSON.stringify(twice)}`);
    expect(report.duplicates).toEqual([]);
    expect(report.overlaps).toEqual([]);
    expect(twice).toEqual([]);
  }, 90_000);
});
