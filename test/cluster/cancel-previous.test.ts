// `cancel_previous` across owners: a job firing every 3 s whose runs would take 20 s, on two
// servers, one client connected to both. When the next fire is claimed by the standby (its
// preferred holder frozen with SIGSTOP over the fire's instant, or SIGKILLed), the standby
// finds the owner's run in the store, asks for its cancellation (a request in the store, the
// group's change notice, and a Cancel to the client), and routes the new fire only once that
// run has ended: the two never overlap.
import type { LedgerRun } from '@carillon/testkit';
import { readLedger, waitFor } from '@carillon/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './cluster-kit.js';
import type { ClusterServer, TestCluster } from './cluster-kit.js';

let cluster: TestCluster;
let jobId: number;
let preferred: ClusterServer;

beforeAll(async () => {
  cluster = await startCluster({ servers: 2 });
  const { groupId, token } = await cluster.createGroup('cancel-previous', 2);
  await cluster.startClient(groupId, token, 'c1');
  ({ id: jobId } = await cluster.api<{ id: number }>('POST', '/api/v1/jobs', {
    groupId,
    name: 'slow every 3 s',
    description: 'sleeps 20 s',
    trigger: { type: 'cron', cron: '*/3 * * * * ?', timeZone: 'UTC' },
    handler: 'sleep',
    param: '20000',
    overlap: 'cancel_previous',
  }));
  const [job] = (await cluster.stores.jobs.listByGroup(groupId)).filter((j) => j.id === jobId);
  const found = cluster.servers.find((s) => s.id === job?.holders[0]);
  if (found === undefined) throw new Error('no preferred holder');
  preferred = found;
}, 120_000);

afterAll(() => cluster?.stop());

/**
 * The latest run of the job, once it runs under the preferred holder. What it saw last goes
 * into the timeout's message (seen once in CI, December 2026: no run owned by the preferred
 * holder for 60 s, cause unknown).
 */
async function runOnPreferred(): Promise<LedgerRun> {
  return waitFor(
    'a run owned by the preferred holder',
    async () => {
      const runs = (await readLedger(cluster.ledger)).filter((r) => r.jobId === jobId);
      const last = runs.sort((a, b) => b.startedAt - a.startedAt)[0];
      if (last === undefined) throw new Error('no run of the job yet');
      const stored = await cluster.stores.executions.get(last.executionId);
      if (stored?.ownerServerId !== preferred.id)
        throw new Error(
          `the latest of ${runs.length} runs is owned by ${stored?.ownerServerId ?? 'no server'}, not ${preferred.id}`,
        );
      return last;
    },
    { timeoutMs: 30_000 },
  );
}

/** Checks that the first run after `from` was preceded by the end of `run`, cancelled. */
async function checkReplaced(label: string, run: LedgerRun, from: number): Promise<void> {
  const next = await waitFor(
    `a run after the ${label}`,
    async () =>
      (await readLedger(cluster.ledger)).find((r) => r.jobId === jobId && r.startedAt > from),
    { timeoutMs: 20_000 },
  );
  const previous = (await readLedger(cluster.ledger)).find(
    (r) => r.executionId === run.executionId,
  )!;
  const stored = await cluster.stores.executions.get(run.executionId);
  const nextStored = await cluster.stores.executions.get(next.executionId);
  console.log(
    `cancel-previous ${label} figures ${JSON.stringify({
      previousRanMs: (previous.endedAt ?? Number.NaN) - previous.startedAt,
      previousState: stored?.state,
      previousReason: stored?.reason,
      nextOwner: nextStored?.ownerServerId,
      nextInstantToStartMs: next.startedAt - (next.scheduledAt ?? Number.NaN),
      gapAfterPreviousEndMs: next.startedAt - (previous.endedAt ?? Number.NaN),
    })}`,
  );
  expect(nextStored?.ownerServerId).not.toBe(preferred.id);
  // The owner's run was cut short and recorded cancelled, before the new one started.
  expect(previous.endedAt).toBeDefined();
  expect(previous.endedAt!).toBeLessThan(previous.startedAt + 20_000);
  expect(stored?.state).toBe('cancelled');
  expect(next.startedAt).toBeGreaterThanOrEqual(previous.endedAt!);
}

describe('cancel_previous across a change of owner', () => {
  it('a live owner frozen over the next instant: its run is cancelled before the new fire starts', async () => {
    const run = await runOnPreferred();
    // Frozen from a second before the next instant (about when it claims the fire) to 1.2 s
    // after it: the standby looks at 200 ms and adopts the fire of its silent owner. Not 0.5 s:
    // once (a run of the cluster tests beside the server's, three files at a time) the owner
    // resumed first and sent the fire itself, which is right but not this test's case; on a
    // loaded machine the standby withholds its judgement until its own heartbeats have run
    // unbroken for 600 ms (a stall of its own may have held the peer's up too).
    // Still under the frozen server's 2.7 s of silence before it would suspend itself.
    const nextInstant = (run.scheduledAt ?? run.startedAt) + 3_000;
    await waitFor('a second before the next instant', () => Date.now() >= nextInstant - 1_000);
    preferred.process.pause();
    await waitFor('1.2 s after it', () => Date.now() >= nextInstant + 1_200);
    preferred.process.resume();
    await checkReplaced('pause', run, nextInstant - 1_000);
  }, 90_000);

  it('an owner killed mid-run: its run is cancelled before the new fire starts', async () => {
    const run = await runOnPreferred();
    await waitFor('a second into the run', () => Date.now() > run.startedAt + 1_000);
    const killedAt = await cluster.kill(preferred);
    await checkReplaced('kill', run, killedAt);
    await cluster.api('POST', `/api/v1/jobs/${jobId}/disable`);
  }, 90_000);
});
