import type { ClientReport, DispatchOrder, ExecutionRef, ResultReport } from '@carillon/protocol';
import { ExecutionAbortedError } from './execution-aborted-error.js';
import { runTraced } from './handler-trace.js';
import { AbortReason } from './execution-aborted-error.js';
import type {
  ContextIds,
  DispatchRun,
  ExecutionContext,
  ExecutionLogLevel,
} from './execution-context.js';
import { ProgressThrottle } from './progress-throttle.js';
import { MAX_TEXT_BYTES, abortedOutcome, buildResult, truncateUtf8 } from './result-report.js';
import type { Settlement } from './result-report.js';

/**
 * A handler still running this long after its signal aborted counts as hung: its slot is
 * reported lost to it (in heartbeats) until it returns.
 */
const HUNG_GRACE_MS = 2_000;

/** At most this many progress reports per second and execution reach the wire. */
const PROGRESS_INTERVAL_MS = 250;

const LOG_LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);

/** Where a context's `signal` getter finds the execution it belongs to. */
const EXECUTION = Symbol('execution');

/** The key of one attempt of one execution in maps. */
export function executionKey(ref: ExecutionRef): string {
  return `${ref.attempt}:${ref.executionId}`;
}

/**
 * One accepted dispatch, from Started to Result: runs the handler with an AbortSignal, sends its
 * reports, and turns how it ended into a Result. `send` routes a report towards the server.
 */
export class RunningExecution {
  readonly order: DispatchOrder;
  /**
   * The address of the server that dispatched it last; its reports go there first. A server
   * that adopted the execution from a departed owner sends the order again at the same attempt:
   * from then on the reports go to it, not to the old owner (which, frozen and back, could no
   * longer record them).
   */
  origin: string;
  readonly ref: ExecutionRef;
  /** The attempt's {@link executionKey}. */
  readonly key: string;
  readonly #send: (report: ClientReport) => void;
  // Made when the handler first reads `ctx.signal`: an AbortSignal costs Node 20 some 20 µs
  // (and GC) to make, more than the rest of a no-op subtask's run on the client.
  #controller: AbortController | null = null;
  /** Made at the first progress report: most handlers send none. */
  #progress: ProgressThrottle | null = null;
  #abort: ExecutionAbortedError | null = null;
  #timeout: NodeJS.Timeout | undefined;
  #hungTimer: NodeJS.Timeout | undefined;
  #hung = false;
  #wasHung = false;
  /** Called once when the handler has outlived its aborted signal by {@link HUNG_GRACE_MS}. */
  onHung: (() => void) | undefined;
  #startedAt = 0;
  #finished = false;
  #abandoned = false;

  constructor(order: DispatchOrder, origin: string, send: (report: ClientReport) => void) {
    this.order = order;
    this.origin = origin;
    this.ref = { executionId: order.executionId, attempt: order.attempt };
    this.key = executionKey(order);
    this.#send = send;
  }

  /** When the handler started (ms epoch); 0 before `run`. */
  get startedAt(): number {
    return this.#startedAt;
  }

  /** Why the SDK aborted the handler, or null. */
  get abortReason(): AbortReason | null {
    return this.#abort?.reason ?? null;
  }

  /** True while the handler runs on well after its signal aborted (its slot is lost to it). */
  get hung(): boolean {
    return this.#hung;
  }

  /** True when the handler was hung at some point (it may have returned since). */
  get wasHung(): boolean {
    return this.#wasHung;
  }

  /** True once `abandon` reported a result in the handler's place. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /**
   * Sends Started (not for a subtask), runs the handler, and resolves to its Result once it really ends. Never
   * rejects: whatever the handler does becomes the outcome.
   */
  async run(handler: DispatchRun): Promise<ResultReport> {
    this.#startedAt = Date.now();
    // A parallel job's subtask stays `dispatched` on the server until it ends (its Started
    // changes nothing there): not sent, which halves a fan-out's reports.
    if (this.order.subtask === undefined)
      this.#report({ kind: 'started', ...this.ref, at: this.#startedAt });
    if (this.order.timeoutMs > 0) {
      this.#timeout = setTimeout(
        () =>
          this.abort(
            AbortReason.TimedOut,
            `timed out after ${this.order.timeoutMs} ms on the client`,
          ),
        this.order.timeoutMs,
      );
    }
    let settlement: Settlement;
    try {
      const context = this.#makeContext(handler.ids);
      settlement = { ok: true, value: await runTraced(this.order, () => handler.execute(context)) };
    } catch (error) {
      settlement = { ok: false, error };
    }
    clearTimeout(this.#timeout);
    clearTimeout(this.#hungTimer);
    this.#hung = false;
    this.#progress?.flush();
    this.#finished = true;
    return buildResult(this.ref, Date.now(), settlement, this.#abort);
  }

  /**
   * Aborts the handler's signal with `reason`, unless the handler already ended or was aborted
   * before. Returns true when this call aborted it.
   */
  abort(reason: AbortReason, message: string): boolean {
    if (this.#finished || this.#abort !== null) return false;
    clearTimeout(this.#timeout);
    this.#abort = new ExecutionAbortedError(reason, message);
    this.#controller?.abort(this.#abort);
    if (this.#startedAt > 0) {
      this.#hungTimer = setTimeout(() => {
        if (this.#finished) return;
        this.#hung = true;
        this.#wasHung = true;
        this.onHung?.();
      }, HUNG_GRACE_MS);
      this.#hungTimer.unref();
    }
    return true;
  }

  /** The Result of an execution aborted before its handler started: it never runs. */
  endUnstarted(): ResultReport {
    this.#finished = true;
    this.#progress?.dispose();
    const abort =
      this.#abort ??
      new ExecutionAbortedError(AbortReason.Cancelled, 'cancelled before it started');
    return { kind: 'result', ...this.ref, at: Date.now(), ...abortedOutcome(abort) };
  }

  /**
   * Gives up waiting for a handler that ignores its signal: returns a CANCELLED Result to report
   * in its place. Its own end, whenever it comes, is then dropped.
   */
  abandon(message: string): ResultReport {
    this.abort(AbortReason.Stopping, message);
    clearTimeout(this.#hungTimer);
    this.#abandoned = true;
    this.#finished = true;
    this.#progress?.dispose();
    const abort = new ExecutionAbortedError(this.#abort?.reason ?? AbortReason.Stopping, message);
    return { kind: 'result', ...this.ref, at: Date.now(), ...abortedOutcome(abort) };
  }

  #signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#abort !== null) this.#controller.abort(this.#abort);
    }
    return this.#controller.signal;
  }

  // The context's `signal` getter, one for every context: a getter written in the object
  // literal is a new function, and gives the context a new hidden class, each time (5-20 µs).
  static readonly #signalProperty: PropertyDescriptor = {
    enumerable: true,
    get(this: { readonly [EXECUTION]: RunningExecution }): AbortSignal {
      return this[EXECUTION].#signal();
    },
  };

  #makeContext(ids: ContextIds | undefined): ExecutionContext {
    const order = this.order;
    const context = {
      [EXECUTION]: this,
      executionId: order.executionId,
      attempt: order.attempt,
      jobId: order.jobId,
      jobName: order.jobName,
      handler: order.handler,
      param: order.param,
      scheduledAt: order.scheduledAt,
      cause: order.cause,
      timeoutMs: order.timeoutMs,
      log: (message: string, level: ExecutionLogLevel = 'info') => {
        if (this.#finished) return;
        this.#report({
          kind: 'log',
          ...this.ref,
          at: Date.now(),
          level: LOG_LEVELS.has(level) ? level : 'info',
          message: truncateUtf8(String(message), MAX_TEXT_BYTES),
        });
      },
      progress: (fraction: number | null, message?: string) => {
        if (this.#finished) return;
        this.#progress ??= new ProgressThrottle(PROGRESS_INTERVAL_MS, ({ fraction, message }) =>
          this.#report({ kind: 'progress', ...this.ref, at: Date.now(), fraction, message }),
        );
        this.#progress.report({
          fraction:
            typeof fraction === 'number' && !Number.isNaN(fraction)
              ? Math.min(1, Math.max(0, fraction))
              : null,
          message: message === undefined ? null : truncateUtf8(String(message), MAX_TEXT_BYTES),
        });
      },
    };
    // A getter, so that the signal is made only when read. Spreading a context (`{ ...ctx }`)
    // reads it: the ids of a subtask, shard or reduce are laid over here, not by a spread.
    Object.defineProperty(context, 'signal', RunningExecution.#signalProperty);
    if (ids !== undefined) Object.assign(context, ids);
    return Object.freeze(context) as Omit<ExecutionContext, 'signal'> as ExecutionContext;
  }

  /** Sends a report about this attempt (a parallel job's first level sends its items so). */
  report(report: ClientReport): void {
    this.#report(report);
  }

  #report(report: ClientReport): void {
    if (this.#abandoned) return;
    this.#send(report);
  }
}
