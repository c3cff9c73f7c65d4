import type { Clock, Logger } from '@carillon/core';
import type { ServerEventBus } from '../events.js';

/** Whether the server's database answers: `ok`, or `failing` since an instant, and why. */
export interface DatabaseStatus {
  readonly state: 'ok' | 'failing';
  /** When the current outage began (ms epoch); null while ok. */
  readonly since: number | null;
  /** What the last failure was, in words; null while ok. */
  readonly reason: string | null;
}

/** Settings of {@link DatabaseHealth}. */
export interface DatabaseHealthOptions {
  readonly clock: Clock;
  readonly events: ServerEventBus;
  readonly logger: Logger;
  /** Says whether a store error is trouble that may pass (see `Stores.isTransient`). */
  readonly isTransient: (error: unknown) => boolean;
  /** A statement unanswered for this long counts as the database failing. Default 5,000 ms. */
  readonly stallMs?: number;
  /**
   * Spells of trouble (statements that failed transiently or took at least `slowMs`) less than
   * this far apart count as one, in {@link DatabaseHealth.troubleWindow}. Default 5,000 ms.
   */
  readonly mergeGapMs?: number;
}

/** Statements whose duration the server reports (`database:timed`), for the latency metrics. */
export type TimedOperation = 'claim' | 'transition';

/** A statement that takes this long has held up the server (SQLite waits synchronously). */
const SLOW_STATEMENT_MS = 200;

/** An interval of time (ms epoch, both ends included). */
export interface TimeWindow {
  readonly from: number;
  readonly to: number;
}

/**
 * Tracks whether the database answers, from the statements the server runs: a transient error
 * (connection lost, deadlock, lock wait, busy) or a statement that hangs past `stallMs` (a
 * locked table) starts an outage; the next statement that succeeds ends it. Each outage is
 * logged once when it begins and once when it ends, with events `database:failing` and
 * `database:recovered`, however many statements fail in between.
 */
export class DatabaseHealth {
  readonly #o: Required<DatabaseHealthOptions>;
  #since: number | null = null;
  #reason: string | null = null;
  #failures = 0;
  /** Statements in flight past `stallMs`: while any is, the outage goes on. */
  #stalled = 0;
  #trouble: { from: number; to: number } | undefined;

  constructor(options: DatabaseHealthOptions) {
    this.#o = { stallMs: 5_000, mergeGapMs: 5_000, ...options };
  }

  /**
   * The latest spell during which the database held the server up: from the start of the first
   * statement that failed transiently or was slow, to the end of the last. The scheduler counts
   * instants due within it as delayed, not missed. (With SQLite, a statement waiting for a lock
   * stops the whole process, the scheduler's timers included.)
   */
  get troubleWindow(): TimeWindow | undefined {
    return this.#trouble;
  }

  get status(): DatabaseStatus {
    return {
      state: this.#since === null ? 'ok' : 'failing',
      since: this.#since,
      reason: this.#reason,
    };
  }

  /** See {@link DatabaseHealthOptions.isTransient}. */
  isTransient(error: unknown): boolean {
    return this.#o.isTransient(error);
  }

  /**
   * Runs one statement (or a short series) and reports how it went: its result or error is
   * passed through unchanged. Only transient errors and stalls count against the database.
   */
  async watch<T>(work: () => Promise<T>, operation?: TimedOperation): Promise<T> {
    const startedAt = this.#o.clock.now();
    const started = performance.now();
    let troubled = false;
    let stalled = false;
    let settled = false;
    const stall = setTimeout(() => {
      // Timers run before the poll phase reads the sockets: after a late turn of this event
      // loop (a long GC, a CPU cap that bites) the answer may be waiting unread, and the
      // database would be called failing for this process's lateness. One turn of I/O first.
      setImmediate(() => {
        if (settled) return;
        stalled = true;
        this.#stalled++;
        this.failing(`no answer for ${this.#o.stallMs} ms (a table or row lock held?)`);
      });
    }, this.#o.stallMs);
    try {
      const result = await work();
      // Settled before `finally` counts it out: a stalled statement ending well ends the outage.
      if (stalled) this.#stalled--;
      stalled = false;
      this.answered();
      if (operation !== undefined)
        this.#o.events.emit('database:timed', { operation, ms: performance.now() - started });
      return result;
    } catch (error) {
      troubled = this.#o.isTransient(error);
      if (troubled) this.failing(describe(error));
      throw error;
    } finally {
      settled = true;
      clearTimeout(stall);
      if (stalled) this.#stalled--;
      const endedAt = this.#o.clock.now();
      if (troubled || endedAt - startedAt >= SLOW_STATEMENT_MS) this.#troubled(startedAt, endedAt);
    }
  }

  #troubled(from: number, to: number): void {
    const t = this.#trouble;
    if (
      t !== undefined &&
      from >= t.from - this.#o.mergeGapMs &&
      from <= t.to + this.#o.mergeGapMs
    ) {
      t.from = Math.min(t.from, from);
      t.to = Math.max(t.to, to);
    } else {
      this.#trouble = { from, to: Math.max(from, to) };
    }
  }

  /** Counts a failure; the first of an outage is logged and announced. */
  failing(reason: string): void {
    this.#failures++;
    this.#reason = reason;
    if (this.#since !== null) return;
    this.#since = this.#o.clock.now();
    this.#o.logger.error(
      { reason },
      'database failing: writes are held and retried, fires wait until it answers',
    );
    this.#o.events.emit('database:failing', { since: this.#since, reason });
  }

  /**
   * A statement succeeded: ends an outage, if one was under way and no other statement is
   * still stalled (a lock on one table leaves statements on others answering).
   */
  answered(): void {
    if (this.#since === null || this.#stalled > 0) return;
    const since = this.#since;
    const failures = this.#failures;
    const downMs = Math.max(0, this.#o.clock.now() - since);
    this.#since = null;
    this.#reason = null;
    this.#failures = 0;
    this.#o.logger.warn({ downMs, failures }, 'database recovered');
    this.#o.events.emit('database:recovered', { since, downMs, failures });
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}

/**
 * Logs a failed background task (following job changes, polling): at debug level when the
 * database is failing transiently, since {@link DatabaseHealth} has said so once already.
 */
export function logTaskFailure(
  health: DatabaseHealth,
  logger: Logger,
  error: unknown,
  message: string,
): void {
  if (health.isTransient(error)) logger.debug({ err: error }, message);
  else logger.error({ err: error }, message);
}
