// Reconciles a soak run: the clients' ledger against the database's execution rows, for every
// (job, instant) of the window. Pure: the soak test reads both, this counts and explains.
import type { Execution } from '@carillon/core';
import { checkLedger } from '@carillon/testkit';
import type { LedgerRun } from '@carillon/testkit';
import { percentile } from '../cluster/cluster-kit.js';

/** A process killed during the run. */
export interface Kill {
  readonly kind: 'server' | 'client';
  readonly id: string;
  /** When the SIGKILL was sent (ms epoch). */
  readonly at: number;
}

/** What the soak run produced, for {@link reconcile}. */
export interface SoakRun {
  readonly jobIds: readonly number[];
  /** The first and last instant (ms epoch, whole seconds) of the window, both included. */
  readonly from: number;
  readonly until: number;
  /** Every ledger run (filtered to the window here). */
  readonly runs: readonly LedgerRun[];
  /** The database's execution rows of the window's fires. */
  readonly rows: readonly Execution[];
  readonly kills: readonly Kill[];
}

/** The figures of a soak run; `duplicates` and `unexplained` must both be zero. */
export interface SoakFigures {
  readonly fires: number;
  readonly rows: number;
  readonly ran: number;
  readonly serverKills: number;
  readonly clientKills: number;
  readonly duplicates: number;
  /**
   * Fires run again as the same execution under a later attempt, one after the other (a client
   * died mid-run, or a server died before it recorded the result): not duplicates by the
   * brief's definition, but counted and shown.
   */
  readonly reruns: number;
  /** Of those, reruns of an attempt whose end is in the ledger (its result was lost). */
  readonly rerunAfterEnd: number;
  /** Instants that did not run, explained by the row's state and reason. */
  readonly explained: Readonly<Record<string, number>>;
  /** Instants neither run nor explained, by what is wrong. */
  readonly unexplained: Readonly<Record<string, number>>;
  readonly lateP50: number;
  readonly lateP99: number;
  readonly lateMax: number;
  /** Per kill: the largest lateness of fires due in the 5 s after it. */
  readonly gaps: readonly { readonly kill: Kill; readonly maxLateMs: number }[];
  /** Details of the first few problems, for the log. */
  readonly problems: readonly string[];
  /** The latest fires and a few reruns, for the log. */
  readonly notes: readonly string[];
}

/** How long after a kill its fires count towards the failover gap. */
const GAP_WINDOW_MS = 5_000;

/** Counts fires, duplicates, misses (explained or not) and lateness of a soak run. */
export function reconcile(run: SoakRun): SoakFigures {
  const inWindow = (at: number | null): at is number =>
    at !== null && at >= run.from && at <= run.until;
  const runs = run.runs.filter((r) => inWindow(r.scheduledAt));
  const clientDeaths = new Map(
    run.kills.filter((k) => k.kind === 'client').map((k) => [k.id, k.at] as const),
  );
  const report = checkLedger(runs, { clientDeaths });
  const problems: string[] = [];
  for (const d of report.duplicates) problems.push(`duplicate (${d.reason}): ${fmt(d.runs)}`);
  for (const o of report.overlaps) problems.push(`overlap: ${fmt(o)}`);

  const runsByFire = new Map<string, LedgerRun[]>();
  for (const r of runs) {
    const key = fireKey(r.jobId, r.scheduledAt!);
    runsByFire.set(key, [...(runsByFire.get(key) ?? []), r]);
  }
  let reruns = 0;
  let rerunAfterEnd = 0;
  const notes: string[] = [];
  for (const fireRuns of runsByFire.values()) {
    if (fireRuns.length < 2) continue;
    reruns++;
    const sorted = [...fireRuns].sort((a, b) => a.attempt - b.attempt);
    if (sorted.slice(0, -1).some((r) => r.endedAt !== undefined)) {
      rerunAfterEnd++;
      if (rerunAfterEnd <= 3) notes.push(`rerun after its attempt ended: ${fmt(sorted)}`);
    }
  }

  const rowsByFire = new Map(run.rows.map((r) => [fireKey(r.jobId, r.scheduledAt), r]));
  const explained: Record<string, number> = {};
  const unexplained: Record<string, number> = {};
  const count = (into: Record<string, number>, what: string): void => {
    into[what] = (into[what] ?? 0) + 1;
  };
  let fires = 0;
  for (const jobId of run.jobIds) {
    for (let at = run.from; at <= run.until; at += 1000) {
      fires++;
      const key = fireKey(jobId, at);
      const row = rowsByFire.get(key);
      const ran = runsByFire.has(key);
      if (row === undefined) {
        count(unexplained, ran ? 'ran without a row' : 'no row');
        if (problems.length < 20) problems.push(`${ran ? 'ran without a row' : 'no row'}: ${key}`);
        continue;
      }
      const reason = `${row.state}: ${normalise(row.reason)}`;
      if (row.state === 'succeeded') {
        if (!ran) {
          count(unexplained, 'succeeded without a run in the ledger');
          if (problems.length < 20) problems.push(`succeeded, never ran: ${key} ${row.id}`);
        }
        continue;
      }
      // Skipped (misfire policy, dispatch timeout) and failed/timed out (client-lost retries
      // used up) are accounted for when the server wrote why; a skip that ran anyway is not.
      const final = row.state === 'skipped' || row.state === 'failed' || row.state === 'timed_out';
      if (final && row.reason !== null && !(row.state === 'skipped' && ran)) {
        count(explained, reason);
        continue;
      }
      count(unexplained, ran ? `ran, row ${reason}` : reason);
      if (problems.length < 20) problems.push(`${reason}: ${key} ${row.id} attempt ${row.attempt}`);
    }
  }

  const firstStart = new Map<string, number>();
  for (const r of runs) {
    const key = fireKey(r.jobId, r.scheduledAt!);
    firstStart.set(key, Math.min(firstStart.get(key) ?? Infinity, r.startedAt));
  }
  const lateness = [...firstStart.entries()].map(([key, started]) => started - instantOf(key));
  const latest = [...firstStart.entries()]
    .map(([key, started]) => [key, started - instantOf(key)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3);
  for (const [key, late] of latest)
    notes.push(`late ${late} ms: ${key} (+${instantOf(key) - run.from} ms into the window)`);
  const gaps = run.kills
    .filter((k) => k.at >= run.from && k.at <= run.until)
    .map((kill) => {
      const late = [...firstStart.entries()]
        .filter(([key]) => instantOf(key) >= kill.at && instantOf(key) < kill.at + GAP_WINDOW_MS)
        .map(([key, started]) => started - instantOf(key));
      return { kill, maxLateMs: late.length === 0 ? Number.NaN : Math.max(...late) };
    });
  return {
    fires,
    rows: run.rows.length,
    ran: runsByFire.size,
    serverKills: run.kills.filter((k) => k.kind === 'server').length,
    clientKills: run.kills.filter((k) => k.kind === 'client').length,
    duplicates: report.duplicates.length + report.overlaps.length,
    reruns,
    rerunAfterEnd,
    explained,
    unexplained,
    lateP50: percentile(lateness, 50),
    lateP99: percentile(lateness, 99),
    lateMax: lateness.reduce((m, l) => Math.max(m, l), 0),
    gaps,
    problems,
    notes,
  };
}

/** The figures in the soak's fixed print format, one `soak:` line per figure. */
export function formatFigures(f: SoakFigures, seed: number): string {
  const total = (o: Readonly<Record<string, number>>) =>
    Object.values(o).reduce((a, b) => a + b, 0);
  const byReason = (o: Readonly<Record<string, number>>) =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => `\n  soak:   ${n} ${reason}`)
      .join('');
  const gaps = (kind: Kill['kind']) => {
    const list = f.gaps.filter((g) => g.kill.kind === kind);
    const max = list.reduce(
      (m, g) => (Number.isNaN(g.maxLateMs) ? m : Math.max(m, g.maxLateMs)),
      0,
    );
    return `max ${max} ms [${list.map((g) => `${g.kill.id}:${g.maxLateMs}`).join(' ')}]`;
  };
  return [
    `soak: seed ${seed}`,
    `soak: fires ${f.fires} (rows ${f.rows}, ran ${f.ran})`,
    `soak: server kills ${f.serverKills}`,
    `soak: client kills ${f.clientKills}`,
    `soak: duplicates ${f.duplicates}`,
    `soak: reruns (same execution, later attempt) ${f.reruns} (after the earlier attempt ended ${f.rerunAfterEnd})`,
    `soak: misses explained ${total(f.explained)}${byReason(f.explained)}`,
    `soak: misses unexplained ${total(f.unexplained)}${byReason(f.unexplained)}`,
    `soak: lateness p50 ${f.lateP50} ms, p99 ${f.lateP99} ms, max ${f.lateMax} ms`,
    `soak: failover gap after server kills ${gaps('server')}`,
    `soak: failover gap after client kills ${gaps('client')}`,
  ].join('\n');
}

function fireKey(jobId: number, scheduledAt: number): string {
  return `${jobId}@${scheduledAt}`;
}

function instantOf(key: string): number {
  return Number(key.slice(key.indexOf('@') + 1));
}

/** A reason without its numbers and ids, so that like reasons count together. */
function normalise(reason: string | null): string {
  return (reason ?? 'no reason').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>').replace(/\d+/g, 'N');
}

function fmt(runs: readonly LedgerRun[]): string {
  return JSON.stringify(runs);
}
