import type { ExecutionChange, ExecutionState, ExecutionStore, Logger } from '@carillon/core';
import { canTransition } from '@carillon/core';

interface Pending {
  change: ExecutionChange;
  readonly waiters: Array<(applied: boolean) => void>;
  /** In the queue of changes something waits for (see `#take`). */
  readonly awaited: boolean;
}

/**
 * Changes a send or a re-route waits for: the fence written before a fire leaves (`claimed →
 * dispatched`) and a fire put back to `claimed` to be routed again. The others (a run started
 * or ended, a fire skipped or failed) hold nothing up: the slot and the overlap hold are let go
 * before they are written.
 */
const AWAITED: ReadonlySet<ExecutionState> = new Set<ExecutionState>(['claimed', 'dispatched']);

/**
 * Writes fenced execution changes in batches: one transaction per flush instead of one commit
 * per change, which is what lets one server record a thousand fires a second. A change that
 * directly follows another of the same execution still waiting is folded into it (started and
 * finished within one flush cost one row write). Batches go out one at a time.
 *
 * A change something waits for goes out on the next turn of the event loop, in a batch of such
 * changes alone (see `#take`); the others gather for `flushMs`. A batch costs the database four statements
 * or more (begin, the locked read, the updates, commit) however few its rows, so the flushes,
 * not the fires, set the statement count: with 5 ms for every change and 100 changes a batch,
 * each server of a ServerGroup wrote about four batches per instant of per-second jobs however
 * many fires it owned (one to two `dispatched`, two to three of results), so three servers
 * sent MariaDB about three times the transactions per fire of one (bench/cluster-throughput.ts,
 * docs/cluster.md).
 */
export class ExecutionWriter {
  readonly #store: ExecutionStore;
  readonly #logger: Logger;
  readonly #flushMs: number;
  readonly #maxBatch: number;
  /**
   * Changes a send waits for, each with no earlier change of its execution still queued in
   * `#others`: they go out first. Two queues rather than one scanned for them at every batch:
   * with a backlog of results (a server behind its database) that scan walked the whole queue
   * per batch, which at 500 fires a second under a CPU cap took an eighth of the server's
   * time, and its garbage much of the half spent collecting (docs/cluster.md).
   */
  #awaitedQueue: Pending[] = [];
  /** Every other change, in order. */
  #others: Pending[] = [];
  /** Changes in `#others` that a send waits for (behind an earlier change of their execution). */
  #othersAwaited = 0;
  readonly #lastById = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  /** A change something waits for is queued: the next flush is on the next turn. */
  #awaited = false;
  #flushing: Promise<void> | undefined;
  readonly #beforeEnds: () => Promise<void>;

  /**
   * `beforeEnds` runs before each batch that starts or ends a run (the log buffer's flush, so
   * that an execution's lines land before its final state): one log write per batch rather
   * than one per Result received.
   */
  constructor(
    store: ExecutionStore,
    logger: Logger,
    beforeEnds: () => Promise<void> = () => Promise.resolve(),
    flushMs = 25,
    maxBatch = 500,
  ) {
    this.#store = store;
    this.#logger = logger;
    this.#beforeEnds = beforeEnds;
    this.#flushMs = flushMs;
    this.#maxBatch = maxBatch;
  }

  /**
   * Queues a change; resolves with whether it applied: false when the fence no longer holds
   * (or the store refused the change outright), never because the database was unreachable.
   */
  write(change: ExecutionChange): Promise<boolean> {
    return new Promise((resolve) => {
      const last = this.#lastById.get(change.fence.id);
      if (last !== undefined && foldable(last.change, change)) {
        this.#countOthers(last, -1);
        last.change = fold(last.change, change);
        this.#countOthers(last, 1);
        last.waiters.push(resolve);
        if (AWAITED.has(change.state)) {
          this.#awaited = true;
          this.#schedule();
        }
        return;
      }
      // Behind an earlier change of its execution that waits in `#others`, it waits there too.
      const awaited = AWAITED.has(change.state) && (last === undefined || last.awaited);
      const pending: Pending = { change, waiters: [resolve], awaited };
      (awaited ? this.#awaitedQueue : this.#others).push(pending);
      this.#countOthers(pending, 1);
      this.#lastById.set(change.fence.id, pending);
      if (AWAITED.has(change.state)) this.#awaited = true;
      this.#schedule();
    });
  }

  /** Resolves once everything queued so far is written. */
  async flush(): Promise<void> {
    while (this.#queued > 0 || this.#flushing !== undefined) {
      await (this.#flushing ?? this.#drain());
    }
  }

  #schedule(): void {
    if (this.#flushing !== undefined) return;
    if (this.#queued >= this.#maxBatch) {
      this.#flush();
    } else if (this.#awaited) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      // On the next turn: the changes this one makes (a hand-off routes all of an instant's
      // fires in one) go together.
      this.#immediate ??= setImmediate(() => this.#flush());
    } else {
      this.#timer ??= setTimeout(() => this.#flush(), this.#flushMs);
    }
  }

  #flush(): void {
    clearTimeout(this.#timer);
    clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    // A batch under way (`flush()` drains without the timers) schedules the next when done.
    if (this.#flushing === undefined) void this.#drain();
  }

  get #queued(): number {
    return this.#awaitedQueue.length + this.#others.length;
  }

  /**
   * The next batch: while some change is awaited, those changes alone, so that a send waits
   * neither for results queued beside it nor for the log write before them; else the oldest
   * others. An awaited change queued after another change of its execution stays behind it
   * (in `#others`); one queued after an awaited change of its execution goes out with or
   * after it, since the awaited queue always drains first.
   */
  #take(): Pending[] {
    if (this.#awaitedQueue.length > 0) return this.#awaitedQueue.splice(0, this.#maxBatch);
    const batch = this.#others.splice(0, this.#maxBatch);
    for (const p of batch) this.#countOthers(p, -1);
    return batch;
  }

  /** Keeps `#othersAwaited` in step as `p` enters (1) or leaves (-1) `#others`, or changes. */
  #countOthers(p: Pending, sign: 1 | -1): void {
    if (!p.awaited && AWAITED.has(p.change.state)) this.#othersAwaited += sign;
  }

  #drain(): Promise<void> {
    const batch = this.#take();
    // A change a send waits for behind another of its execution still goes on the next turn.
    this.#awaited = this.#awaitedQueue.length > 0 || this.#othersAwaited > 0;
    for (const p of batch)
      if (this.#lastById.get(p.change.fence.id) === p) this.#lastById.delete(p.change.fence.id);
    this.#flushing = this.#write(batch).finally(() => {
      this.#flushing = undefined;
      if (this.#queued > 0) this.#schedule();
    });
    return this.#flushing;
  }

  /**
   * The store retries what the database failed transiently (see `PatientExecutionStore`), so
   * an error here is a change the store refused (malformed: a bug) or a server stopping during
   * an outage. The batch is then written change by change, so that one bad change does not
   * cost the others their answer; a change that still fails answers false.
   */
  async #write(batch: readonly Pending[]): Promise<void> {
    if (batch.some((p) => !AWAITED.has(p.change.state))) await this.#beforeEnds();
    try {
      const applied = await this.#store.transitionMany(batch.map((p) => p.change));
      batch.forEach((p, i) => settle(p, applied[i] ?? false));
      return;
    } catch (error) {
      if (batch.length === 1) {
        this.#logger.error(
          { err: error, executionId: batch[0]?.change.fence.id },
          'recording an execution change failed',
        );
        for (const p of batch) settle(p, false);
        return;
      }
    }
    for (const p of batch) await this.#write([p]);
  }
}

function settle(pending: Pending, applied: boolean): void {
  for (const w of pending.waiters) w(applied);
}

/** True when `next` may be applied as part of `first` (same owner, attempt and a legal path). */
function foldable(first: ExecutionChange, next: ExecutionChange): boolean {
  const attemptAfter = first.patch?.attempt ?? first.fence.attempt;
  if (next.fence.ownerServerId !== first.fence.ownerServerId || next.fence.attempt !== attemptAfter)
    return false;
  if (!next.fence.from.includes(first.state)) return false;
  if (first.patch?.attempt !== undefined && next.patch?.attempt !== undefined) return false;
  return first.fence.from.every((s) => s === next.state || canTransition(s, next.state));
}

function fold(first: ExecutionChange, next: ExecutionChange): ExecutionChange {
  // Object.assign, not `{ ...first.patch, ...next.patch }`: V8 on Node 20 takes a slow path
  // (over a µs) for a spread that adds properties the first object lacks.
  const patch = Object.assign({}, first.patch, next.patch);
  return { fence: first.fence, state: next.state, patch };
}
