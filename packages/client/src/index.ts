// @carillon/client: the Carillon SDK. Runs job handlers in your application for the executions
// Carillon servers dispatch to it. Start with `Client`.

export { Client } from './client.js';
export type { StopOptions } from './client.js';
export type { ClientOptions } from './client-options.js';
export type { ClientLogger } from './client-logger.js';
export { ClientState } from './client-state.js';
export type {
  ClientEvents,
  ExecutionCancelledEvent,
  ExecutionFinishedEvent,
  ExecutionHungEvent,
  ExecutionRefusedEvent,
  ExecutionStartedEvent,
  FencedEvent,
  ServerConnectedEvent,
  ServerDisconnectedEvent,
  ServerRejectedEvent,
  StateChangedEvent,
} from './client-events.js';
export type { JobHandler } from './job-handler.js';
export type {
  DispatchSummary,
  ParallelJobHandler,
  SubtaskContext,
  SubtaskResult,
} from './parallel-handler.js';
export type { ExecutionContext, ExecutionLogLevel, ShardContext } from './execution-context.js';
export { NonRetryableError } from './non-retryable-error.js';
export { AbortReason, ExecutionAbortedError } from './execution-aborted-error.js';
export { ClientErrorCode } from './errors.js';
export { SDK_VERSION } from './sdk-version.js';
// Protocol vocabulary that appears in the SDK's API, so users need not import the protocol.
export {
  CancelReason,
  CarillonError,
  HelloRejectCode,
  Outcome,
  RefuseReason,
  hasErrorCode,
} from '@carillon/protocol';
export type { ClientTls, ExecutionCause, ExecutionRef, HandlerError } from '@carillon/protocol';
