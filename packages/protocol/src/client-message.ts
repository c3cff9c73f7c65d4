import type { ExecutionState, LogLevel } from '@carillon/core';

// The messages a client sends to a server, as plain TypeScript values. Each mirrors one message
// of `proto/carillon/v1/dispatch.proto` (read its comments for the semantics); `kind` names the
// oneof member. Instants are ms since the epoch and named `at`/`...At`; durations end in `Ms`.
// A proto3 `optional` field is `T | null` here: null when absent.

/** How an execution ended on the client. The values are the matching final execution states. */
export const Outcome = {
  Succeeded: 'succeeded',
  Failed: 'failed',
  Cancelled: 'cancelled',
  TimedOut: 'timed_out',
} as const satisfies Record<string, ExecutionState>;
/** One of the {@link Outcome} values. */
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

/** Why a client refused a dispatch. */
export const RefuseReason = {
  /** The handler's concurrency or the client's capacity is used up. */
  AtCapacity: 'at_capacity',
  /** The client has not registered the dispatch's handler. */
  UnknownHandler: 'unknown_handler',
  /** The client is stopping and takes no new work. */
  Stopping: 'stopping',
} as const;
/** One of the {@link RefuseReason} values. */
export type RefuseReason = (typeof RefuseReason)[keyof typeof RefuseReason];

/** Names one attempt of one execution: the fencing and idempotency key of every report. */
export interface ExecutionRef {
  readonly executionId: string;
  /** From 1; each re-dispatch adds one. */
  readonly attempt: number;
}

/** A job type a client registered, with its own concurrency limit (at least 1). */
export interface HandlerInfo {
  readonly name: string;
  readonly concurrency: number;
}

/** The in-flight count of one handler, in a heartbeat. */
export interface HandlerLoad {
  readonly name: string;
  readonly inFlight: number;
  /**
   * Of `inFlight`, handlers that had not returned well after their signal aborted: slots lost
   * to the handler until it returns.
   */
  readonly hung: number;
}

/**
 * A handler's failure as data: it crosses the wire instead of an exception. `retryable` false
 * means trying again cannot help (the SDK's `NonRetryableError`).
 */
export interface HandlerError {
  readonly type: string;
  readonly message: string;
  readonly stack: string | null;
  readonly retryable: boolean;
}

/** The first message of every stream: who the client is, what it runs, and how much. */
export interface Hello {
  readonly kind: 'hello';
  /** Four-segment task group id text, e.g. `101-1-2-6601`. */
  readonly groupId: string;
  readonly clientId: string;
  readonly token: string;
  readonly handlers: readonly HandlerInfo[];
  /** Executions the client runs at once over all handlers and servers; at least 1. */
  readonly capacity: number;
  /** Machine room or availability zone; empty when unknown. */
  readonly room: string;
  readonly sdkVersion: string;
  readonly protocolVersion: number;
  /** Executions still running from earlier streams, so that no server dispatches them again. */
  readonly running: readonly ExecutionRef[];
  /** Labels for jobs pinned to labels; none when absent (clients before labels). */
  readonly labels?: readonly string[];
}

/** The client's load, sent every `heartbeatIntervalMs` on every stream. */
export interface Heartbeat {
  readonly kind: 'heartbeat';
  readonly at: number;
  readonly inFlight: number;
  readonly capacity: number;
  readonly handlers: readonly HandlerLoad[];
}

/** The client took a dispatch (Started alone implies it). */
export interface AcceptedReport extends ExecutionRef {
  readonly kind: 'accepted';
}

/** The client will not run a dispatch; the server places it elsewhere. */
export interface RefusedReport extends ExecutionRef {
  readonly kind: 'refused';
  readonly reason: RefuseReason;
  /** Details for logs; may be empty. */
  readonly message: string;
}

/** The client started the handler at `at`. */
export interface StartedReport extends ExecutionRef {
  readonly kind: 'started';
  readonly at: number;
}

/** One log line of the handler. */
export interface LogReport extends ExecutionRef {
  readonly kind: 'log';
  readonly at: number;
  readonly level: LogLevel;
  readonly message: string;
}

/** How far the handler has got: a fraction from 0 to 1, words, or both. */
export interface ProgressReport extends ExecutionRef {
  readonly kind: 'progress';
  readonly at: number;
  readonly fraction: number | null;
  readonly message: string | null;
}

/** The handler finished. Idempotent: sending it again is harmless. */
export interface ResultReport extends ExecutionRef {
  readonly kind: 'result';
  readonly at: number;
  readonly outcome: Outcome;
  /** What the handler returned, as text; null when it returned nothing. */
  readonly result: string | null;
  /** Why it failed; normally set when `outcome` is `failed`. */
  readonly error: HandlerError | null;
}

/**
 * Items that a parallel job's first level produced, from position `firstPosition` (from 1), each
 * a JSON text; the server makes one subtask of each. Idempotent: sending it again is harmless.
 */
export interface SubtaskChunkReport extends ExecutionRef {
  readonly kind: 'subtaskChunk';
  readonly firstPosition: number;
  readonly payloads: readonly string[];
}

/** A report about one attempt of one execution; every one carries `executionId` and `attempt`. */
export type ClientReport =
  | AcceptedReport
  | RefusedReport
  | StartedReport
  | LogReport
  | ProgressReport
  | ResultReport
  | SubtaskChunkReport;

/** Everything a client sends on a stream, discriminated by `kind`. */
export type ClientMessage = Hello | Heartbeat | ClientReport;

/** The `kind` of a {@link ClientMessage}. */
export type ClientMessageKind = ClientMessage['kind'];
