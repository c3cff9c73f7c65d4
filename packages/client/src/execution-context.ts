import type { ExecutionCause } from '@carillon/protocol';

/** Which shard a handler runs (`ctx.shard`). */
export interface ShardContext {
  /** From 0. */
  readonly index: number;
  /** Shards in this fire. */
  readonly count: number;
  /** The shard's parameter, or null when it has none. */
  readonly param: string | null;
}

/** The severity of a line written with `ctx.log`. */
export type ExecutionLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * What a handler knows about the execution it runs, and how it talks back. Handlers should
 * treat (`executionId`, `attempt`) as an idempotency key: after a client dies, the same
 * execution may be dispatched again with the next attempt.
 */
export interface ExecutionContext {
  /** The execution's id (a UUID in practice). */
  readonly executionId: string;
  /** The dispatch attempt, from 1. */
  readonly attempt: number;
  /** The job's numeric id. */
  readonly jobId: number;
  /** The job's name. */
  readonly jobName: string;
  /** The handler (job type) name the job names. */
  readonly handler: string;
  /** The job's custom parameter (or the manual fire's), or null when it has none. */
  readonly param: string | null;
  /** When the fire was due, ms since the epoch, on the server's clock. */
  readonly scheduledAt: number;
  /** Why the execution exists: schedule, manual, retry, failover or misfire. */
  readonly cause: ExecutionCause;
  /** How long the handler may run, from its start (ms); 0 for no limit. */
  readonly timeoutMs: number;
  /**
   * Aborts when the handler should stop: its timeout passed, the server cancelled it, the
   * client is stopping past its grace period, or the client was cut off from every server for
   * longer than its fence interval. Its `reason` is an `ExecutionAbortedError`.
   */
  readonly signal: AbortSignal;
  /**
   * Present when the handler runs one shard of a sharded job's fire (`index` from 0 of `count`,
   * and the shard's `param` from the job's `shardParams`, or null), or one client's share of a
   * broadcast fire (`index` is the client's place among the fire's clients, `param` null).
   * `executionId` is then the fire's execution, and `subtaskId` with `attempt` the shard's
   * idempotency key.
   */
  readonly shard?: ShardContext;
  /** The shard's own id when `shard` is present: the same on every attempt of that shard. */
  readonly subtaskId?: string;
  /** Writes a line to the execution's log, kept by the server (level default `info`). */
  log(message: string, level?: ExecutionLogLevel): void;
  /**
   * Reports how far the handler has got: a fraction from 0 to 1 (null for none) and what it is
   * doing. Reports are throttled to a few a second; the latest always arrives.
   */
  progress(fraction: number | null, message?: string): void;
}

/**
 * The ids a handler's context carries where they differ from its dispatch's: the context of a
 * subtask, a shard or a reduce names the parent execution, and the unit's own id beside it.
 */
export interface ContextIds {
  readonly executionId: string;
  readonly subtaskId?: string;
  readonly position?: number;
  readonly shard?: ShardContext;
}

/**
 * What runs one dispatch: the function to call, and the ids its context carries (by default
 * the dispatch's own).
 */
export interface DispatchRun {
  readonly ids?: ContextIds;
  execute(ctx: ExecutionContext): unknown;
}
