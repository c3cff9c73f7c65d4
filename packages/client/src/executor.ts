import { CancelReason, RefuseReason } from '@carillon/protocol';
import type {
  CancelOrder,
  ClientReport,
  DispatchOrder,
  ExecutionRef,
  HandlerInfo,
  Heartbeat,
  ResultReport,
} from '@carillon/protocol';
import type { ClientEvents } from './client-events.js';
import type { ClientLogger } from './client-logger.js';
import { AbortReason } from './execution-aborted-error.js';
import { InstantQueue } from './instant-queue.js';
import type { JobHandler } from './job-handler.js';
import { isParallel, phaseHandler } from './parallel-handler.js';
import { shardHandler } from './shard-handler.js';
import type { ParallelJobHandler } from './parallel-handler.js';
import { JobPool } from './job-pool.js';
import { RunningExecution, executionKey } from './running-execution.js';

// Results of recently finished executions (the last 1,000 to 2,000), so that a dispatch sent
// again after its execution ended gets its Result again instead of a second run.
const REMEMBERED_RESULTS = 1_000;

/** What the executor needs from the client around it. */
export interface ExecutorDeps {
  readonly logger: ClientLogger;
  /** Routes a report towards the server at `origin` (or any open stream). */
  send(report: ClientReport, origin: string | null): void;
  emit<K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]): void;
  /** The count of hung slots changed: servers should hear it now, not at the next beat. */
  hungChanged(): void;
  /** Dispatches were taken or an execution ended: the in-flight count changed. */
  loadChanged(): void;
}

/**
 * Runs dispatches: one {@link JobPool} per registered job type, the client's overall capacity,
 * admission (accept, refuse, or accept again a dispatch it already holds), holding dispatches
 * until their start instant, cancellation, and the Results.
 */
export class Executor {
  readonly #deps: ExecutorDeps;
  readonly #pools = new Map<string, JobPool>();
  readonly #held = new InstantQueue<[JobPool, RunningExecution]>((entries) => {
    for (const [pool, execution] of entries) this.#start(pool, execution);
  });
  // Two generations, the older dropped whole when the newer fills: forgetting one Result at a
  // time from the front of a Map left holes that each lookup of the oldest key walked over.
  #results = new Map<string, ResultReport>();
  #olderResults = new Map<string, ResultReport>();
  #capacity = 1;
  #accepting = true;
  #idleWaiters: (() => void)[] = [];

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
  }

  /** Adds a job type's pool. */
  register(name: string, handler: JobHandler | ParallelJobHandler, concurrency: number): void {
    this.#pools.set(name, new JobPool(name, concurrency, handler));
  }

  /** True when a handler of this name is registered. */
  has(name: string): boolean {
    return this.#pools.has(name);
  }

  /** The registered handlers, as the Hello lists them. */
  handlers(): HandlerInfo[] {
    return [...this.#pools.values()].map((pool) => ({
      name: pool.name,
      concurrency: pool.concurrency,
    }));
  }

  /** The sum of the handlers' concurrencies (at least 1, as the contract requires). */
  defaultCapacity(): number {
    return Math.max(
      1,
      [...this.#pools.values()].reduce((sum, pool) => sum + pool.concurrency, 0),
    );
  }

  /** The client's capacity while it accepts work; 0 once it stops accepting. */
  get capacity(): number {
    return this.#accepting ? this.#capacity : 0;
  }

  set capacity(capacity: number) {
    this.#capacity = capacity;
  }

  /** Executions whose handler has not ended, over all pools. */
  get inFlight(): number {
    let count = 0;
    for (const pool of this.#pools.values()) count += pool.inFlight;
    return count;
  }

  /**
   * Refuses every later dispatch with STOPPING, and hands back those held for their start
   * instant (Refused STOPPING too), so that the server places them on another client in time
   * instead of this one running or cancelling them while it stops.
   */
  stopAccepting(): void {
    this.#accepting = false;
    for (const [pool, execution] of this.#held.drain()) {
      pool.delete(execution);
      this.#refuse(execution.order, RefuseReason.Stopping, execution.origin);
    }
  }

  /** The attempts still running, for the Hello's `running` list. */
  runningRefs(): ExecutionRef[] {
    return [...this.#executions()].filter((e) => !e.abandoned).map((e) => e.ref);
  }

  /** The client's load, for a Heartbeat. */
  heartbeat(): Heartbeat {
    return {
      kind: 'heartbeat',
      at: Date.now(),
      inFlight: this.inFlight,
      capacity: this.capacity,
      handlers: [...this.#pools.values()]
        .filter((pool) => pool.inFlight > 0)
        .map((pool) => ({ name: pool.name, inFlight: pool.inFlight, hung: pool.hung })),
    };
  }

  /**
   * Answers every dispatch of a batch, then starts the accepted ones, each at once or at its
   * start instant. `clockOffsetMs` is how far the dispatching server's clock is ahead of this
   * one's: start instants are on the server's clock.
   */
  dispatch(orders: readonly DispatchOrder[], origin: string, clockOffsetMs = 0): void {
    const admitted: [JobPool, RunningExecution][] = [];
    for (const order of orders) {
      const pool = this.#pools.get(order.handler);
      const key = executionKey(order);
      const running = pool?.get(key);
      if (running !== undefined) {
        running.origin = origin;
        this.#deps.send({ kind: 'accepted', ...running.ref }, origin);
        continue;
      }
      const result = this.#results.get(key) ?? this.#olderResults.get(key);
      if (result !== undefined) {
        this.#deps.send(result, origin);
        continue;
      }
      const refusal = this.#refusal(pool);
      if (refusal !== null || pool === undefined) {
        this.#refuse(order, refusal ?? RefuseReason.UnknownHandler, origin);
        continue;
      }
      const execution = new RunningExecution(order, origin, (report) =>
        this.#deps.send(report, execution.origin),
      );
      execution.onHung = () => this.#hung(execution);
      pool.add(execution);
      admitted.push([pool, execution]);
    }
    const now = Date.now();
    for (const [pool, execution] of admitted) {
      const { startAt } = execution.order;
      if (startAt === undefined || startAt - clockOffsetMs <= now) {
        this.#start(pool, execution);
        continue;
      }
      // Servers send fires ahead of their instant, so that sending and decoding are done by
      // then; the slot is taken now and the handler starts at the instant.
      this.#deps.send({ kind: 'accepted', ...execution.ref }, origin);
      this.#held.add(startAt - clockOffsetMs, [pool, execution]);
    }
    if (admitted.length > 0) this.#deps.loadChanged();
  }

  /** Aborts the attempt a Cancel names; ignored when this client does not hold it. */
  cancel(order: CancelOrder): void {
    const execution = this.#find(order);
    if (execution === undefined) return;
    const reason =
      order.reason === CancelReason.TimedOut ? AbortReason.TimedOut : AbortReason.Cancelled;
    const detail = order.message.length > 0 ? `: ${order.message}` : '';
    if (execution.abort(reason, `cancelled by the server (${order.reason})${detail}`)) {
      this.#deps.emit('execution:cancelled', {
        executionId: execution.ref.executionId,
        attempt: execution.ref.attempt,
        reason: order.reason,
        message: order.message,
      });
    }
  }

  /** Aborts every running handler; returns those this call aborted. */
  abortAll(reason: AbortReason, message: string): ExecutionRef[] {
    const aborted: ExecutionRef[] = [];
    for (const execution of this.#executions()) {
      if (execution.abort(reason, message)) aborted.push(execution.ref);
    }
    return aborted;
  }

  /**
   * Reports CANCELLED for every handler still running, without waiting for it any longer (the
   * client is stopping and its handlers ignored their signal).
   */
  abandonRunning(message: string): void {
    for (const execution of this.#executions()) {
      if (execution.abandoned) continue;
      this.#deliver(execution, execution.abandon(message));
    }
  }

  /** Resolves when no handler runs any more, or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<void> {
    if (this.#runningCount() === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#idleWaiters.push(resolve);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
  }

  #refusal(pool: JobPool | undefined): RefuseReason | null {
    if (!this.#accepting) return RefuseReason.Stopping;
    if (pool === undefined) return RefuseReason.UnknownHandler;
    if (!pool.hasRoom || this.inFlight >= this.#capacity) return RefuseReason.AtCapacity;
    return null;
  }

  #refuse(order: DispatchOrder, reason: RefuseReason, origin: string): void {
    const ref = { executionId: order.executionId, attempt: order.attempt };
    this.#deps.send({ kind: 'refused', ...ref, reason, message: describe(reason) }, origin);
    this.#deps.emit('execution:refused', {
      executionId: ref.executionId,
      attempt: ref.attempt,
      handler: order.handler,
      reason,
      address: origin,
    });
  }

  #start(pool: JobPool, execution: RunningExecution): void {
    if (execution.abortReason !== null) {
      // Cancelled or fenced while waiting for its instant: the handler never runs.
      this.#ended(pool, execution, execution.endUnstarted());
      return;
    }
    const handler =
      !isParallel(pool.handler) || execution.order.shard !== undefined
        ? shardHandler(pool.handler, execution.order)
        : phaseHandler(pool.handler, execution.order, (firstPosition, payloads) =>
            execution.report({ kind: 'subtaskChunk', ...execution.ref, firstPosition, payloads }),
          );
    const done = execution.run(handler);
    const { order } = execution;
    this.#deps.emit('execution:started', {
      executionId: execution.ref.executionId,
      attempt: execution.ref.attempt,
      handler: order.handler,
      jobId: order.jobId,
      jobName: order.jobName,
      address: execution.origin,
    });
    void done.then((result) => this.#ended(pool, execution, result));
  }

  /** Frees the slot of an execution that ended and reports its Result. */
  #ended(pool: JobPool, execution: RunningExecution, result: ResultReport): void {
    const wasHung = execution.wasHung;
    pool.delete(execution);
    if (!execution.abandoned) this.#deliver(execution, result);
    if (wasHung) this.#deps.hungChanged();
    this.#deps.loadChanged();
    // Counting walks every running execution: only worth it when someone waits for idle.
    if (this.#idleWaiters.length > 0 && this.#runningCount() === 0) this.#wakeIdle();
  }

  #deliver(execution: RunningExecution, result: ResultReport): void {
    if (this.#results.size >= REMEMBERED_RESULTS) {
      this.#olderResults = this.#results;
      this.#results = new Map();
    }
    this.#results.set(execution.key, result);
    this.#deps.send(result, execution.origin);
    this.#deps.emit('execution:finished', {
      executionId: execution.ref.executionId,
      attempt: execution.ref.attempt,
      handler: execution.order.handler,
      outcome: result.outcome,
      result: result.result,
      error: result.error,
      durationMs: result.at - execution.startedAt,
    });
  }

  #hung(execution: RunningExecution): void {
    const { order } = execution;
    this.#deps.logger.warn(
      { executionId: order.executionId, attempt: order.attempt, handler: order.handler },
      'a handler ignores its aborted signal; its slot is lost until it returns',
    );
    this.#deps.emit('execution:hung', {
      executionId: execution.ref.executionId,
      attempt: execution.ref.attempt,
      handler: order.handler,
      reason: execution.abortReason ?? AbortReason.Cancelled,
    });
    this.#deps.hungChanged();
  }

  #find(ref: ExecutionRef): RunningExecution | undefined {
    const key = executionKey(ref);
    for (const pool of this.#pools.values()) {
      const execution = pool.get(key);
      if (execution !== undefined) return execution;
    }
    return undefined;
  }

  *#executions(): Generator<RunningExecution> {
    for (const pool of this.#pools.values()) yield* pool.executions();
  }

  #runningCount(): number {
    return [...this.#executions()].filter((e) => !e.abandoned).length;
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

function describe(reason: RefuseReason): string {
  switch (reason) {
    case RefuseReason.AtCapacity:
      return 'the handler or the client is at capacity';
    case RefuseReason.UnknownHandler:
      return 'the client has not registered this handler';
    case RefuseReason.Stopping:
      return 'the client is stopping';
  }
}
