// @carillon/protocol: the gRPC contract between Carillon servers and clients
// (proto/carillon/v1/dispatch.proto), its domain messages, their checked mapping to and from the
// wire, and typed server and client ends. Servers and the SDK use only these exports.

// Messages, client → server.
export { Outcome, RefuseReason } from './client-message.js';
export type {
  AcceptedReport,
  ClientMessage,
  ClientMessageKind,
  ClientReport,
  ExecutionRef,
  HandlerError,
  HandlerInfo,
  HandlerLoad,
  Heartbeat,
  Hello,
  LogReport,
  ProgressReport,
  RefusedReport,
  ResultReport,
  StartedReport,
  SubtaskChunkReport,
} from './client-message.js';

// Messages, server → client.
export { CancelReason, HelloRejectCode, isTransientHelloRejection } from './server-message.js';
export type {
  CancelOrder,
  DispatchBatch,
  DispatchOrder,
  ReduceOrder,
  SubtaskOrder,
  ShardOrder,
  HelloRejected,
  ServerMessage,
  ServerMessageKind,
  Welcome,
} from './server-message.js';

// Vocabulary of the core that clients need at runtime, so that the SDK imports only this package.
export { CarillonError, ExecutionCause, LogLevel, hasErrorCode } from '@carillon/core';

// Versions and limits.
export {
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  negotiateProtocolVersion,
} from './protocol-version.js';
export { FENCED_ERROR_TYPE } from './fenced-error.js';
export { LABEL_PATTERN, PROTOCOL_LIMITS } from './protocol-limits.js';

// Errors.
export { ProtocolErrorCode } from './errors.js';
export type { Decoded } from './errors.js';

// Mapping between domain messages and wire messages / bytes.
export { decodeClientMessage, encodeClientMessage } from './client-message-codec.js';
export { decodeServerMessage, encodeServerMessage } from './server-message-codec.js';
export {
  LOADER_OPTIONS,
  PROTO_PATH,
  deserializeClientMessage,
  deserializeServerMessage,
  dispatcherServiceDefinition,
  loadDispatcherProto,
  serializeClientMessage,
  serializeServerMessage,
} from './dispatcher-service.js';
export { estimateDispatchBytes, splitDispatches } from './split-dispatches.js';

// The two ends of the stream.
export {
  CLIENT_CHANNEL_OPTIONS,
  KEEPALIVE_TIME_MS,
  KEEPALIVE_TIMEOUT_MS,
  SERVER_CHANNEL_OPTIONS,
} from './channel-options.js';
export { GrpcStatus } from './connection.js';
export type {
  ClientConnection,
  ConnectionEvents,
  ConnectionState,
  ServerConnection,
  StreamStatus,
} from './connection.js';
export { DispatcherServer, createDispatcherServer } from './dispatcher-server.js';
export {
  DISPATCHER_SERVICE_NAME,
  ServingStatus,
  checkGrpcHealth,
  provideGrpcHealth,
} from './grpc-health.js';
export type { GrpcHealthCheck } from './grpc-health.js';
export { isTraceparent, provideDispatchTraceparent } from './dispatch-trace.js';
export type { DispatchTraceparent } from './dispatch-trace.js';
export type {
  DispatcherServerHandlers,
  DispatcherServerOptions,
  DispatcherServerState,
  ServerTls,
} from './dispatcher-server.js';
export { DispatcherClient } from './dispatcher-client.js';
export type { ClientTls, DispatcherClientOptions } from './dispatcher-client.js';

// Wire types (generated), for code that works on raw gRPC calls.
export type {
  ClientMessage as WireClientMessage,
  ClientMessage__Output as WireClientMessageOutput,
} from './generated/carillon/v1/ClientMessage.js';
export type {
  ServerMessage as WireServerMessage,
  ServerMessage__Output as WireServerMessageOutput,
} from './generated/carillon/v1/ServerMessage.js';
