// Overlap policy state survives a change of owner: a job firing every second whose runs take
// 3 s, policy `skip`, on two servers. Its preferred holder is SIGKILLed while a run is under
// way; the standby that takes the job over knows that run from the store and skips fires while
// it lasts: no two runs of the job ever overlap.
import { readLedger, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ servers: 2 });
}, 120_000);

afterAll(() => cluster?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('overlap policy across a change of owner', () => {
  it('a standby taking over skips fires while the old owner’s run lasts', async () => {
    const { groupId, token } = await cluster.createGroup('overlap', 2);
    await cluster.startClient(groupId, token, 'c1');
    const { id } = await cluster.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'slow every second',
      description: 'sleeps 3 s',
      trigger: { type: 'cron', cron: '* * * * * ?', timeZone: 'UTC' },
      handler: 'sleep',
      param: '3000',
      overlap: 'skip',
    });
    const [job] = (await cluster.stores.jobs.listByGroup(groupId)).filter((j) => j.id === id);
    const preferred = cluster.servers.find((s) => s.id === job?.holders[0]);
    if (preferred === undefined) throw new Error('no preferred holder');
    // Kill the owner a second into a run.
    const run = await waitFor('a run to start', async () =>
      (await readLedger(cluster.ledger)).find((r) => r.jobId === id),
    );
    await waitFor('a second into the run', () => Date.now() > run.startedAt + 1_000);
    const killedAt = await cluster.kill(preferred);
    await sleep(12_000);
    await cluster.api('POST', `/api/v1/jobs/${id}/disable`);
    await sleep(4_000);
    const runs = (await readLedger(cluster.ledger))
      .filter((r) => r.jobId === id)
      .sort((a, b) => a.startedAt - b.startedAt);
    const overlapping = runs.filter(
      (r, i) => i > 0 && r.startedAt < (runs[i - 1]?.endedAt ?? Infinity),
    );
    console.log(
      `overlap-failover figures ${JSON.stringify({ runs: runs.length, overlapping: overlapping.length, killedAfterRunMs: killedAt - run.startedAt })}`,
    );
    expect(runs.filter((r) => r.startedAt > killedAt).length).toBeGreaterThan(0);
    expect(overlapping).toEqual([]);
  }, 90_000);
});
