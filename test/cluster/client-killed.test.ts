// Client failover on a real cluster (two `carillon server` processes, ZooKeeper, MariaDB, the
// fence interval set to 3 s): a client SIGKILLed mid-run has its execution run again on
// another client, same execution id, attempt 2, within a few seconds and never at the same time
// (job policy `onClientLost: retry`, the default); under `onClientLost: fail` it is failed.
import type { Execution } from '@carillon/core';
import { checkLedger, readLedger, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './cluster-kit.js';
import type { TestCluster } from './cluster-kit.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster({ servers: 2, serverEnv: { CARILLON_FENCE_MS: '3000' } });
}, 120_000);

afterAll(() => cluster?.stop());

describe('a client killed mid-run', () => {
  it('has its execution run again elsewhere (retry) or failed (fail), never twice at once', async () => {
    const { groupId, token } = await cluster.createGroup('clients', 2);
    const doomed = await cluster.startClient(groupId, token, 'doomed');
    const job = async (onClientLost?: string) =>
      (
        await cluster.api<{ id: number }>('POST', '/api/v1/jobs', {
          groupId,
          name: `sleeps ${onClientLost ?? 'default'}`,
          description: 'sleeps',
          trigger: { type: 'api' },
          handler: 'sleep',
          param: '6000',
          ...(onClientLost === undefined ? {} : { onClientLost }),
        })
      ).id;
    const retried = await job();
    const failed = await job('fail');
    const trigger = async (id: number) =>
      (await cluster.api<{ executionId: string }>('POST', `/api/v1/jobs/${id}/trigger`, {}))
        .executionId;
    const retriedExecution = await trigger(retried);
    const failedExecution = await trigger(failed);
    for (const id of [retriedExecution, failedExecution])
      await doomed.waitForEvent((e) => e.event === 'started' && e.executionId === id);
    await cluster.startClient(groupId, token, 'survivor');
    const killedAt = await doomed.kill();

    const again = await waitFor(
      'the execution to run again on the survivor',
      async () =>
        (await readLedger(cluster.ledger)).find(
          (r) => r.executionId === retriedExecution && r.attempt === 2,
        ),
      { timeoutMs: 30_000 },
    );
    expect(again.clientId).toBe('survivor');
    const gapMs = again.startedAt - killedAt;
    const done = await waitFor('the retried execution to succeed', async () => {
      const e = await cluster.api<Execution>('GET', `/api/v1/executions/${retriedExecution}`);
      return e.state === 'succeeded' ? e : undefined;
    });
    expect(done.attempt).toBe(2);
    const lost = await waitFor('the other execution to fail', async () => {
      const e = await cluster.api<Execution>('GET', `/api/v1/executions/${failedExecution}`);
      return e.state === 'failed' ? e : undefined;
    });
    expect(lost.attempt).toBe(1);
    expect(lost.reason).toMatch(/doomed/);
    const report = checkLedger(await readLedger(cluster.ledger), {
      clientDeaths: new Map([['doomed', killedAt]]),
    });
    console.log(`client-killed figures ${JSON.stringify({ rerunGapMs: gapMs })}`);
    expect(report.overlaps).toEqual([]);
    expect(report.duplicates).toEqual([]);
    // The fence is 3 s; "a few seconds", generously.
    expect(gapMs).toBeLessThan(10_000);
  }, 90_000);
});
