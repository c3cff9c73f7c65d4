// Original file: proto/carillon/v1/dispatch.proto

import type { HandlerLoad as _carillon_v1_HandlerLoad, HandlerLoad__Output as _carillon_v1_HandlerLoad__Output } from '../../carillon/v1/HandlerLoad.js';
import type { Long } from '@grpc/proto-loader';

/**
 * The client's load, sent every Welcome.heartbeat_interval_ms on every stream. It counts all of
 * the client's work, whichever server dispatched it. Servers route by it; liveness comes from
 * keepalive pings, not from heartbeats.
 */
export interface Heartbeat {
  /**
   * When the client measured the load (instant, ms since the epoch).
   */
  'atMs'?: (number | string | Long);
  /**
   * Executions accepted and not yet finished, over all handlers. At least 0.
   */
  'inFlight'?: (number);
  /**
   * The client's capacity now (it may shrink while the client stops). At least 0.
   */
  'capacity'?: (number);
  /**
   * In-flight executions per handler; handlers with none may be left out.
   */
  'handlers'?: (_carillon_v1_HandlerLoad)[];
}

/**
 * The client's load, sent every Welcome.heartbeat_interval_ms on every stream. It counts all of
 * the client's work, whichever server dispatched it. Servers route by it; liveness comes from
 * keepalive pings, not from heartbeats.
 */
export interface Heartbeat__Output {
  /**
   * When the client measured the load (instant, ms since the epoch).
   */
  'atMs': (number);
  /**
   * Executions accepted and not yet finished, over all handlers. At least 0.
   */
  'inFlight': (number);
  /**
   * The client's capacity now (it may shrink while the client stops). At least 0.
   */
  'capacity': (number);
  /**
   * In-flight executions per handler; handlers with none may be left out.
   */
  'handlers': (_carillon_v1_HandlerLoad__Output)[];
}
