// Original file: proto/carillon/v1/dispatch.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ClientMessage as _carillon_v1_ClientMessage, ClientMessage__Output as _carillon_v1_ClientMessage__Output } from '../../carillon/v1/ClientMessage.js';
import type { ServerMessage as _carillon_v1_ServerMessage, ServerMessage__Output as _carillon_v1_ServerMessage__Output } from '../../carillon/v1/ServerMessage.js';

/**
 * The one service a Carillon server exposes to clients.
 */
export interface DispatcherClient extends grpc.Client {
  /**
   * The long-lived bidirectional stream of one client with one server; see the conversation at
   * the top of this file. It has no deadline. The server ends it with status OK after a
   * HelloRejected or when the client half-closes; with UNAVAILABLE when it shuts down (the
   * client reconnects with backoff).
   */
  Connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_carillon_v1_ClientMessage, _carillon_v1_ServerMessage__Output>;
  Connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_carillon_v1_ClientMessage, _carillon_v1_ServerMessage__Output>;
  /**
   * The long-lived bidirectional stream of one client with one server; see the conversation at
   * the top of this file. It has no deadline. The server ends it with status OK after a
   * HelloRejected or when the client half-closes; with UNAVAILABLE when it shuts down (the
   * client reconnects with backoff).
   */
  connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_carillon_v1_ClientMessage, _carillon_v1_ServerMessage__Output>;
  connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_carillon_v1_ClientMessage, _carillon_v1_ServerMessage__Output>;
  
}

/**
 * The one service a Carillon server exposes to clients.
 */
export interface DispatcherHandlers extends grpc.UntypedServiceImplementation {
  /**
   * The long-lived bidirectional stream of one client with one server; see the conversation at
   * the top of this file. It has no deadline. The server ends it with status OK after a
   * HelloRejected or when the client half-closes; with UNAVAILABLE when it shuts down (the
   * client reconnects with backoff).
   */
  Connect: grpc.handleBidiStreamingCall<_carillon_v1_ClientMessage__Output, _carillon_v1_ServerMessage>;
  
}

export interface DispatcherDefinition extends grpc.ServiceDefinition {
  Connect: MethodDefinition<_carillon_v1_ClientMessage, _carillon_v1_ServerMessage, _carillon_v1_ClientMessage__Output, _carillon_v1_ServerMessage__Output>
}
