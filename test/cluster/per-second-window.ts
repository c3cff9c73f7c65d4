// Per-second jobs on a test cluster, and what became of each of their instants in a window:
// the set-up and the accounting that the outage and failover tests (database cut, MariaDB
// restarted, ZooKeeper leader killed, ensemble down, owner killed) share.
import type { Execution } from '@carillon/core';
import type { LedgerReport, LedgerRun } from '@carillon/testkit';
import { checkLedger, readLedger, waitFor } from '@carillon/testkit';
import type { TestCluster } from './cluster-kit.js';

/**
 * A group whose jobs are held by `backups` servers, with one client process (`c1`) and `count`
 * per-second echo jobs that have all run.
 */
export async function startPerSecondJobs(
  cluster: TestCluster,
  group: string,
  count: number,
  backups = 2,
): Promise<number[]> {
  const { groupId, token } = await cluster.createGroup(group, backups);
  await cluster.startClient(groupId, token, 'c1');
  const jobIds = await cluster.createPerSecondJobs(groupId, count);
  await waitFor('every job to run', async () => {
    const runs = await readLedger(cluster.ledger);
    return jobIds.every((id) => runs.some((r) => r.jobId === id));
  });
  return jobIds;
}

/** What became of the jobs' instants from `from` to `until` (both whole seconds, inclusive). */
export interface FireWindow {
  /** The ledger's runs of instants in the window. */
  readonly runs: LedgerRun[];
  /** {@link checkLedger} of those runs; its misses are the window's instants that never ran. */
  readonly report: LedgerReport;
  /** `job@instant` keys that started more than once, with how many times. */
  readonly ranTwice: [string, number][];
  /** The window's instants, one a second. */
  readonly fires: number[];
  /** The store's rows for every job at every instant of the window. */
  readonly rows: readonly Execution[];
}

/** Reads the ledger and the store for every instant of `jobIds` from `from` to `until`. */
export async function readFireWindow(
  cluster: Pick<TestCluster, 'ledger' | 'stores'>,
  jobIds: readonly number[],
  from: number,
  until: number,
): Promise<FireWindow> {
  const runs = (await readLedger(cluster.ledger)).filter(
    (r) => r.scheduledAt !== null && r.scheduledAt >= from && r.scheduledAt <= until,
  );
  const perFire = new Map<string, number>();
  for (const r of runs) {
    const key = `${r.jobId}@${r.scheduledAt}`;
    perFire.set(key, (perFire.get(key) ?? 0) + 1);
  }
  const fires = [...Array((until - from) / 1000 + 1).keys()].map((i) => from + i * 1000);
  const rows = await cluster.stores.executions.findFires(
    jobIds.flatMap((jobId) => fires.map((scheduledAt) => ({ jobId, scheduledAt }))),
  );
  return {
    runs,
    report: checkLedger(runs, { expected: new Map(jobIds.map((id) => [id, fires])) }),
    ranTwice: [...perFire.entries()].filter(([, n]) => n > 1),
    fires,
    rows,
  };
}
