import type { ExecutionCause } from '@carillon/core';

// The messages a server sends to a client, as plain TypeScript values; see client-message.ts
// for the conventions and `proto/carillon/v1/dispatch.proto` for the semantics.

/** Why a server cancels an execution. */
export const CancelReason = {
  /** A user or the API asked for it. */
  Requested: 'requested',
  /** It ran longer than its job's timeout: the client reports `timed_out`. */
  TimedOut: 'timed_out',
  /** A newer fire of the same job replaces it (overlap policy "cancel previous"). */
  Overlap: 'overlap',
  /** The server gave up on this attempt and may have dispatched the execution again. */
  Superseded: 'superseded',
} as const;
/** One of the {@link CancelReason} values. */
export type CancelReason = (typeof CancelReason)[keyof typeof CancelReason];

/** Why a server refused a Hello. */
export const HelloRejectCode = {
  /** The token is wrong, expired or revoked. */
  Unauthenticated: 'unauthenticated',
  /** No task group has this id. */
  UnknownGroup: 'unknown_group',
  /** The task group belongs to another ServerGroup than this server's. */
  WrongServerGroup: 'wrong_server_group',
  /** The server does not speak the Hello's protocol version. */
  UnsupportedProtocol: 'unsupported_protocol',
  /** The Hello is malformed or was not the first message. */
  InvalidHello: 'invalid_hello',
  /** Another stream with the same client id is open on this server (often the client's last). */
  DuplicateClient: 'duplicate_client',
  /** The server is starting, stopping, or cut off from its coordinator. */
  Unavailable: 'unavailable',
} as const;
/** One of the {@link HelloRejectCode} values. */
export type HelloRejectCode = (typeof HelloRejectCode)[keyof typeof HelloRejectCode];

/**
 * True when a client should simply reconnect with backoff after this rejection; false when it
 * stays until the client's configuration changes (reconnect slowly, and tell the user).
 */
export function isTransientHelloRejection(code: HelloRejectCode): boolean {
  return code === HelloRejectCode.Unavailable || code === HelloRejectCode.DuplicateClient;
}

/** The server accepted the Hello; dispatches may follow. */
export interface Welcome {
  readonly kind: 'welcome';
  readonly serverId: string;
  /** How often the client sends a heartbeat on this stream; at least 1. */
  readonly heartbeatIntervalMs: number;
  /** How long a client cut off from every server may keep running handlers; at least 1. */
  readonly fenceMs: number;
  /** The protocol version spoken on this stream. */
  readonly protocolVersion: number;
  /** The server's clock when it sent the Welcome, for estimating clock skew. */
  readonly serverTime: number;
}

/** The server refused the Hello and ends the stream. */
export interface HelloRejected {
  readonly kind: 'helloRejected';
  readonly code: HelloRejectCode;
  /** Details for the client's log; may be empty. */
  readonly message: string;
}

/** One attempt of one execution, to run on the receiving client. */
export interface DispatchOrder {
  readonly executionId: string;
  /** From 1; each re-dispatch adds one. */
  readonly attempt: number;
  readonly jobId: number;
  readonly jobName: string;
  /** The handler name the client registered. */
  readonly handler: string;
  /** The job's (or the manual fire's) parameter; null when it has none. */
  readonly param: string | null;
  /** The instant the fire was due, on the server's clock. */
  readonly scheduledAt: number;
  /** How long the handler may run from its start; 0 for no limit. */
  readonly timeoutMs: number;
  readonly cause: ExecutionCause;
  /** When the client should start the handler; absent: at once. */
  readonly startAt?: number;
  /** W3C `traceparent` of the server's span of this fire; absent when the server does not trace. */
  readonly traceparent?: string;
  /** Present when the dispatch runs one subtask of a parallel job (its `process`). */
  readonly subtask?: SubtaskOrder;
  /** Present when the dispatch runs the `reduce` of a parallel job's execution. */
  readonly reduce?: ReduceOrder;
  /** Present when the dispatch runs one shard of a sharded job, or a share of a broadcast fire. */
  readonly shard?: ShardOrder;
}

/** The shard a dispatch runs: `executionId` and `attempt` of the order are the shard's. */
export interface ShardOrder {
  readonly parentExecutionId: string;
  /** From 0. */
  readonly index: number;
  /** At least 1, more than `index`. */
  readonly count: number;
  /** The shard's parameter; null when it has none. */
  readonly param: string | null;
}

/** The subtask a dispatch runs: `executionId` and `attempt` of the order are the subtask's. */
export interface SubtaskOrder {
  readonly parentExecutionId: string;
  /** From 1. */
  readonly position: number;
  /** The item, as JSON text. */
  readonly payload: string;
}

/** The reduce step a dispatch runs, with every subtask's outcome as a JSON array. */
export interface ReduceOrder {
  readonly parentExecutionId: string;
  readonly results: string;
}

/** Executions to run now, sent in one stream write (at least one). */
export interface DispatchBatch {
  readonly kind: 'dispatchBatch';
  readonly dispatches: readonly DispatchOrder[];
}

/** Stop running one attempt of one execution. */
export interface CancelOrder {
  readonly kind: 'cancel';
  readonly executionId: string;
  readonly attempt: number;
  readonly reason: CancelReason;
  /** Details for the handler's log; may be empty. */
  readonly message: string;
}

/** Everything a server sends on a stream, discriminated by `kind`. */
export type ServerMessage = Welcome | HelloRejected | DispatchBatch | CancelOrder;

/** The `kind` of a {@link ServerMessage}. */
export type ServerMessageKind = ServerMessage['kind'];
