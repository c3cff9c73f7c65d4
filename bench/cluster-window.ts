// What the cluster benches read from the clients' ledger and the database: that every new job
// has run once (set-up), and for a window's fires how many ran, how late, who owned them, what
// was sent late or is still open.
import { createConnection } from 'mysql2/promise';
import { readLedger, waitFor } from '@carillon/testkit';
import { percentile } from '../test/cluster/cluster-kit.js';
import type { TestCluster } from '../test/cluster/cluster-kit.js';

/** Waits (up to 2 minutes) until every one of `jobIds` has run at least once. */
export async function everyJobRan(cluster: TestCluster, jobIds: readonly number[]): Promise<void> {
  await waitFor(
    'every job to run',
    async () => {
      const seen = new Set((await readLedger(cluster.ledger)).map((r) => r.jobId));
      return jobIds.every((id) => seen.has(id));
    },
    { timeoutMs: 120_000, intervalMs: 1_000 },
  );
}

/**
 * From the database, for the window's fires: the share (%) that a server sent after their
 * instant rather than ahead of it (fires that waited for a free client slot, or were claimed
 * late), and the share not yet recorded as ended when this runs, 3 s after the window (the
 * handlers end at once: a server whose execution writes lag behind its sends). Unlike lateness,
 * both hardly depend on how loaded the machine is.
 */
export async function windowFromDatabase(
  dbUrl: string,
  from: number,
  until: number,
): Promise<{
  sentLatePct: number;
  unrecordedPct: number;
  ownedPct: Record<string, number>;
  openStates?: Record<string, number>;
}> {
  const connection = await createConnection({ uri: dbUrl });
  try {
    // Which server owns the window's fires (%): with backups = 3 each should own about a third.
    const [owners] = await connection.query(
      `SELECT COALESCE(owner_server_id, '-') AS k, COUNT(*) AS n FROM executions
       WHERE scheduled_at BETWEEN ? AND ? GROUP BY k ORDER BY k`,
      [from, until],
    );
    const ownerRows = owners as { k: string; n: number | string }[];
    const all = ownerRows.reduce((sum, r) => sum + Number(r.n), 0);
    const ownedPct = Object.fromEntries(
      ownerRows.map((r) => [r.k, Math.round((Number(r.n) / Math.max(1, all)) * 1000) / 10]),
    );
    const [rows] = await connection.query(
      `SELECT COUNT(*) AS fires, SUM(dispatched_at > scheduled_at) AS late,
         SUM(state NOT IN ('succeeded', 'failed', 'timed_out', 'cancelled', 'skipped')) AS open
       FROM executions WHERE scheduled_at BETWEEN ? AND ?`,
      [from, until],
    );
    const row = (rows as Record<'fires' | 'late' | 'open', number | string | null>[])[0];
    const fires = Number(row?.fires ?? 0);
    const pct = (n: number | string | null | undefined): number =>
      fires === 0 ? 0 : Math.round((Number(n ?? 0) / fires) * 1000) / 10;
    if (Number(row?.open ?? 0) === 0)
      return { sentLatePct: pct(row?.late), unrecordedPct: pct(row?.open), ownedPct };
    // Which states the open ones are in, and under which owners: where they got stuck.
    const [open] = await connection.query(
      `SELECT CONCAT(state, '@', COALESCE(owner_server_id, '-')) AS k, COUNT(*) AS n FROM executions
       WHERE scheduled_at BETWEEN ? AND ?
         AND state NOT IN ('succeeded', 'failed', 'timed_out', 'cancelled', 'skipped')
       GROUP BY k`,
      [from, until],
    );
    const openStates = Object.fromEntries(
      (open as { k: string; n: number | string }[]).map((r) => [r.k, Number(r.n)]),
    );
    return { sentLatePct: pct(row?.late), unrecordedPct: pct(row?.open), ownedPct, openStates };
  } finally {
    await connection.end();
  }
}

/** From the clients' ledger, for the window's fires: how many ran, and how late they started. */
export async function windowFromLedger(
  cluster: TestCluster,
  jobIds: readonly number[],
  from: number,
  until: number,
): Promise<{ fires: number; ran: number; ranPct: number; lateP50Ms: number; lateP99Ms: number }> {
  const firstStart = new Map<string, number>();
  for (const r of await readLedger(cluster.ledger)) {
    if (r.scheduledAt === null || r.scheduledAt < from || r.scheduledAt > until) continue;
    const key = `${r.jobId}@${r.scheduledAt}`;
    const late = r.startedAt - r.scheduledAt;
    firstStart.set(key, Math.min(firstStart.get(key) ?? Infinity, late));
  }
  const fires = jobIds.length * ((until - from) / 1000 + 1);
  const lateness = [...firstStart.values()];
  return {
    fires,
    ran: firstStart.size,
    ranPct: Math.round((firstStart.size / fires) * 100_000) / 1000,
    lateP50Ms: percentile(lateness, 50),
    lateP99Ms: percentile(lateness, 99),
  };
}
