// `cancel_previous` across owners: a job firing every 3 s whose runs would take 20 s, on two
// servers. Its preferred holder is SIGKILLed while a run is under way; the standby that claims
// the next fire finds the dead owner's run in the store, asks for its cancellation (a request
// in the store, and a Cancel to the client, which is connected to both servers), and routes
// the new fire only once that run has ended: the two never overlap.
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

describe('cancel_previous across a change of owner', () => {
  it('the new owner has the old owner’s run cancelled before the new fire starts', async () => {
    const { groupId, token } = await cluster.createGroup('cancel-previous', 2);
    await cluster.startClient(groupId, token, 'c1');
    const { id } = await cluster.api<{ id: number }>('POST', '/api/v1/jobs', {
      groupId,
      name: 'slow every 3 s',
      description: 'sleeps 20 s',
      trigger: { type: 'cron', cron: '*/3 * * * * ?', timeZone: 'UTC' },
      handler: 'sleep',
      param: '20000',
      overlap: 'cancel_previous',
    });
    const [job] = (await cluster.stores.jobs.listByGroup(groupId)).filter((j) => j.id === id);
    const preferred = cluster.servers.find((s) => s.id === job?.holders[0]);
    if (preferred === undefined) throw new Error('no preferred holder');
    // Two runs on the owner first (the second cancels the first, on one server), then the
    // kill a second into the next.
    const run = await waitFor(
      'two runs on the first owner',
      async () => {
        const runs = (await readLedger(cluster.ledger)).filter((r) => r.jobId === id);
        return runs.length >= 2 ? runs.sort((a, b) => b.startedAt - a.startedAt)[0] : undefined;
      },
      { timeoutMs: 20_000 },
    );
    await waitFor('a second into the run', () => Date.now() > run.startedAt + 1_000);
    const killedAt = await cluster.kill(preferred);
    const next = await waitFor(
      'a run after the kill',
      async () =>
        (await readLedger(cluster.ledger)).find((r) => r.jobId === id && r.startedAt > killedAt),
      { timeoutMs: 20_000 },
    );
    await sleep(4_000);
    await cluster.api('POST', `/api/v1/jobs/${id}/disable`);
    const runs = (await readLedger(cluster.ledger)).filter((r) => r.jobId === id);
    const previous = runs.find((r) => r.executionId === run.executionId)!;
    const stored = await cluster.stores.executions.get(run.executionId);
    const nextStored = await cluster.stores.executions.get(next.executionId);
    console.log(
      `cancel-previous figures ${JSON.stringify({
        runs: runs.length,
        previousRanMs: (previous.endedAt ?? Number.NaN) - previous.startedAt,
        previousState: stored?.state,
        previousReason: stored?.reason,
        nextOwner: nextStored?.ownerServerId,
        killToNextStartMs: next.startedAt - killedAt,
        nextInstantToStartMs: next.startedAt - (next.scheduledAt ?? Number.NaN),
      })}`,
    );
    expect(nextStored?.ownerServerId).not.toBe(preferred.id);
    // The dead owner's run was cut short and recorded cancelled, before the new one started.
    expect(previous.endedAt).toBeDefined();
    expect(previous.endedAt!).toBeLessThan(previous.startedAt + 20_000);
    expect(stored?.state).toBe('cancelled');
    expect(next.startedAt).toBeGreaterThanOrEqual(previous.endedAt!);
  }, 90_000);
});
