import { openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** One line of the ledger: a handler started or ended, in some client process. */
export interface LedgerLine {
  readonly event: 'start' | 'end';
  readonly jobId: number;
  /** The fire's scheduled instant (ms epoch); null for a manual run. */
  readonly scheduledAt: number | null;
  readonly executionId: string;
  readonly attempt: number;
  readonly clientId: string;
  /** When it happened (ms epoch, the client's clock). */
  readonly at: number;
  /** For `end`: succeeded or failed. */
  readonly outcome?: string;
  /** For a parallel job's subtask: its execution (`executionId` is then the subtask's id). */
  readonly parentId?: string;
  /** For a parallel job's subtask: its item. */
  readonly item?: unknown;
  /** For a shard of a sharded job or a broadcast share: which (`ctx.shard`). */
  readonly shard?: {
    readonly index: number;
    readonly count: number;
    readonly param: string | null;
  };
}

/** One handler run: a start and, unless its process died, an end. */
export interface LedgerRun {
  readonly jobId: number;
  readonly scheduledAt: number | null;
  readonly executionId: string;
  readonly attempt: number;
  readonly clientId: string;
  readonly startedAt: number;
  readonly endedAt: number | undefined;
  readonly outcome: string | undefined;
}

/** What {@link checkLedger} found wrong; every list empty means a clean run. */
export interface LedgerReport {
  readonly runs: readonly LedgerRun[];
  /** One fire started under two different execution ids, or one execution attempt started twice. */
  readonly duplicates: readonly { readonly reason: string; readonly runs: readonly LedgerRun[] }[];
  /** Two runs of one execution at the same time (a retry while the first still ran). */
  readonly overlaps: readonly (readonly [LedgerRun, LedgerRun])[];
  /** Expected fires that no run started. */
  readonly misses: readonly { readonly jobId: number; readonly scheduledAt: number }[];
}

/** Options of {@link checkLedger}. */
export interface LedgerCheck {
  /** The fires that must have run: job id to scheduled instants. */
  readonly expected?: ReadonlyMap<number, readonly number[]>;
  /**
   * When each killed client died (ms epoch): its runs without an end ended then. A run without an
   * end whose client is not listed counts as still running, so it overlaps any later attempt.
   */
  readonly clientDeaths?: ReadonlyMap<string, number>;
}

/** The ledgers this process appends to, opened once (O_APPEND) and kept open. */
const ledgerFiles = new Map<string, number>();

/**
 * Appends one line to the ledger at `path`. Each line is one `write` with O_APPEND, so lines of
 * several processes interleave whole. The file stays open: opening and closing it for every
 * line (three system calls, not one) cost 8-10 µs a line against 3 on an idle machine, and a
 * third of a bench client's CPU under load; the handlers of one instant start one after the
 * other, each after the lines of those before it.
 */
export function appendLedger(path: string, line: LedgerLine): void {
  let fd = ledgerFiles.get(path);
  if (fd === undefined) {
    fd = openSync(path, 'a');
    ledgerFiles.set(path, fd);
  }
  writeSync(fd, `${JSON.stringify(line)}\n`);
}

/**
 * Reads the ledger at `path` line by line, in the order written; a missing file (no handler ran
 * yet) is empty.
 */
export async function readLedgerLines(path: string): Promise<LedgerLine[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LedgerLine);
}

/** Reads the ledger at `path` and pairs starts with ends into runs; a missing file is empty. */
export async function readLedger(path: string): Promise<LedgerRun[]> {
  return pairRuns(await readLedgerLines(path));
}

/** Pairs start and end lines into runs, in start order. */
export function pairRuns(lines: readonly LedgerLine[]): LedgerRun[] {
  const ends = new Map<string, LedgerLine[]>();
  for (const line of lines) {
    if (line.event !== 'end') continue;
    const key = runKey(line);
    ends.set(key, [...(ends.get(key) ?? []), line]);
  }
  const runs: LedgerRun[] = [];
  for (const line of lines) {
    if (line.event !== 'start') continue;
    const end = ends.get(runKey(line))?.shift();
    runs.push({
      jobId: line.jobId,
      scheduledAt: line.scheduledAt,
      executionId: line.executionId,
      attempt: line.attempt,
      clientId: line.clientId,
      startedAt: line.at,
      endedAt: end?.at,
      outcome: end?.outcome,
    });
  }
  return runs.sort((a, b) => a.startedAt - b.startedAt);
}

/** Checks runs for duplicates, overlapping runs of one execution and missed fires. */
export function checkLedger(runs: readonly LedgerRun[], check: LedgerCheck = {}): LedgerReport {
  const duplicates: { reason: string; runs: LedgerRun[] }[] = [];
  for (const group of groupBy(runs, (r) => `${r.executionId}#${r.attempt}`).values()) {
    if (group.length > 1)
      duplicates.push({ reason: 'execution attempt started twice', runs: group });
  }
  const fires = groupBy(
    runs.filter((r) => r.scheduledAt !== null),
    (r) => `${r.jobId}@${r.scheduledAt}`,
  );
  for (const group of fires.values()) {
    if (new Set(group.map((r) => r.executionId)).size > 1) {
      duplicates.push({ reason: 'one fire under two execution ids', runs: group });
    }
  }
  const overlaps: [LedgerRun, LedgerRun][] = [];
  for (const group of groupBy(runs, (r) => r.executionId).values()) {
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        const a = group[i];
        const b = group[j];
        if (a === undefined || b === undefined) continue;
        if (a.attempt === b.attempt) continue;
        if (a.startedAt < endOf(b, check) && b.startedAt < endOf(a, check)) overlaps.push([a, b]);
      }
    }
  }
  const misses: { jobId: number; scheduledAt: number }[] = [];
  for (const [jobId, instants] of check.expected ?? new Map<number, number[]>()) {
    for (const scheduledAt of instants) {
      if (!fires.has(`${jobId}@${scheduledAt}`)) misses.push({ jobId, scheduledAt });
    }
  }
  return { runs, duplicates, overlaps, misses };
}

function endOf(run: LedgerRun, check: LedgerCheck): number {
  return run.endedAt ?? check.clientDeaths?.get(run.clientId) ?? Infinity;
}

function runKey(line: LedgerLine): string {
  return `${line.executionId}#${line.attempt}#${line.clientId}`;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}
