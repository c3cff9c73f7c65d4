import type {
  CancelReason,
  ExecutionRef,
  HandlerError,
  HelloRejectCode,
  Outcome,
  RefuseReason,
} from '@carillon/protocol';
import type { ClientState } from './client-state.js';
import type { AbortReason } from './execution-aborted-error.js';

/** A server welcomed the client on a stream. */
export interface ServerConnectedEvent {
  readonly address: string;
  readonly serverId: string;
  readonly heartbeatIntervalMs: number;
  readonly fenceMs: number;
}

/** A welcomed stream to a server ended; the client reconnects unless it is stopping. */
export interface ServerDisconnectedEvent {
  readonly address: string;
  readonly serverId: string | null;
  /** The gRPC status code and details the stream ended with. */
  readonly code: number;
  readonly details: string;
}

/** A server refused the client's Hello. */
export interface ServerRejectedEvent {
  readonly address: string;
  readonly code: HelloRejectCode;
  readonly message: string;
  /** True when reconnecting soon may help (`unavailable`, `duplicate_client`). */
  readonly transient: boolean;
}

/** A dispatch was accepted and its handler started. */
export interface ExecutionStartedEvent extends ExecutionRef {
  readonly handler: string;
  readonly jobId: number;
  readonly jobName: string;
  /** The server that dispatched it. */
  readonly address: string;
}

/** A dispatch was refused; the server places it elsewhere. */
export interface ExecutionRefusedEvent extends ExecutionRef {
  readonly handler: string;
  readonly reason: RefuseReason;
  readonly address: string;
}

/** A server asked to cancel a running execution. */
export interface ExecutionCancelledEvent extends ExecutionRef {
  readonly reason: CancelReason;
  readonly message: string;
}

/** An execution ended and its Result was handed to the streams. */
export interface ExecutionFinishedEvent extends ExecutionRef {
  readonly handler: string;
  readonly outcome: Outcome;
  readonly result: string | null;
  readonly error: HandlerError | null;
  readonly durationMs: number;
}

/**
 * A handler kept running well after its signal aborted (timed out or cancelled): its slot is
 * lost to it, and reported so in heartbeats, until it returns (then `execution:finished`).
 */
export interface ExecutionHungEvent extends ExecutionRef {
  readonly handler: string;
  /** Why its signal aborted. */
  readonly reason: AbortReason;
}

/**
 * The client was cut off from every server for longer than its fence interval, or its process
 * was stopped that long (`stopped`).
 */
export interface FencedEvent {
  /** How long the client had been without an open stream, or its process stopped. */
  readonly cutOffMs: number;
  /** True when the process itself did not run (SIGSTOP, a paused VM, a blocked event loop). */
  readonly stopped: boolean;
  /** The fence interval in force. */
  readonly fenceMs: number;
  /** The executions whose handlers were aborted. */
  readonly aborted: readonly ExecutionRef[];
}

/** The client's state changed. */
export interface StateChangedEvent {
  readonly from: ClientState;
  readonly to: ClientState;
}

/**
 * The events a {@link Client} emits, for `client.on(name, listener)`. Named `noun:verb`; useful
 * as metrics and test hooks. A listener that throws is logged and otherwise ignored.
 */
export interface ClientEvents {
  'server:connected': [event: ServerConnectedEvent];
  'server:disconnected': [event: ServerDisconnectedEvent];
  'server:rejected': [event: ServerRejectedEvent];
  'execution:started': [event: ExecutionStartedEvent];
  'execution:refused': [event: ExecutionRefusedEvent];
  'execution:cancelled': [event: ExecutionCancelledEvent];
  'execution:finished': [event: ExecutionFinishedEvent];
  'execution:hung': [event: ExecutionHungEvent];
  fenced: [event: FencedEvent];
  'state:changed': [event: StateChangedEvent];
}
