// Original file: proto/carillon/v1/dispatch.proto

import type { HandlerInfo as _carillon_v1_HandlerInfo, HandlerInfo__Output as _carillon_v1_HandlerInfo__Output } from '../../carillon/v1/HandlerInfo.js';
import type { ExecutionRef as _carillon_v1_ExecutionRef, ExecutionRef__Output as _carillon_v1_ExecutionRef__Output } from '../../carillon/v1/ExecutionRef.js';

/**
 * The first message of every stream: who the client is, what it can run, and how much.
 */
export interface Hello {
  /**
   * The task group the client joins, as its four-segment text id
   * `cluster-serverGroup-backups-number`, e.g. "101-1-2-6601" (every segment a positive integer
   * without leading zeros, at most nine digits; backups at least 1). Required.
   */
  'groupId'?: (string);
  /**
   * The client's id, stable for the life of the process and unique within the group (for
   * example host name, process id and a random suffix). The same on every server's stream.
   * Required.
   */
  'clientId'?: (string);
  /**
   * A client token of the task group, issued by the console. Required, at most 4096
   * characters.
   */
  'token'?: (string);
  /**
   * The job types (handlers) the client runs. Names are unique within the list. May be empty
   * (the client then receives no dispatches).
   */
  'handlers'?: (_carillon_v1_HandlerInfo)[];
  /**
   * How many executions the client runs at once over all its handlers and servers. At least 1.
   */
  'capacity'?: (number);
  /**
   * The client's machine room or availability zone, for routing; empty when unknown.
   */
  'room'?: (string);
  /**
   * The name and version of the client library, e.g. "@carillon/client 0.1.0"; for display.
   */
  'sdkVersion'?: (string);
  /**
   * The protocol version the client speaks: 1 for this file. Required (at least 1).
   */
  'protocolVersion'?: (number);
  /**
   * Executions the client is still running from earlier streams (for example after a reconnect,
   * or a server failover), so that the server does not dispatch them again while they run.
   */
  'running'?: (_carillon_v1_ExecutionRef)[];
  /**
   * Labels the client declares, for jobs pinned to labels (`gpu`, `zone=eu-1`): each of letters,
   * digits and `_ . : / = -`, starting with a letter or digit, at most 64 characters; at most 16,
   * each once. Empty when none (clients before labels send none).
   */
  'labels'?: (string)[];
}

/**
 * The first message of every stream: who the client is, what it can run, and how much.
 */
export interface Hello__Output {
  /**
   * The task group the client joins, as its four-segment text id
   * `cluster-serverGroup-backups-number`, e.g. "101-1-2-6601" (every segment a positive integer
   * without leading zeros, at most nine digits; backups at least 1). Required.
   */
  'groupId': (string);
  /**
   * The client's id, stable for the life of the process and unique within the group (for
   * example host name, process id and a random suffix). The same on every server's stream.
   * Required.
   */
  'clientId': (string);
  /**
   * A client token of the task group, issued by the console. Required, at most 4096
   * characters.
   */
  'token': (string);
  /**
   * The job types (handlers) the client runs. Names are unique within the list. May be empty
   * (the client then receives no dispatches).
   */
  'handlers': (_carillon_v1_HandlerInfo__Output)[];
  /**
   * How many executions the client runs at once over all its handlers and servers. At least 1.
   */
  'capacity': (number);
  /**
   * The client's machine room or availability zone, for routing; empty when unknown.
   */
  'room': (string);
  /**
   * The name and version of the client library, e.g. "@carillon/client 0.1.0"; for display.
   */
  'sdkVersion': (string);
  /**
   * The protocol version the client speaks: 1 for this file. Required (at least 1).
   */
  'protocolVersion': (number);
  /**
   * Executions the client is still running from earlier streams (for example after a reconnect,
   * or a server failover), so that the server does not dispatch them again while they run.
   */
  'running': (_carillon_v1_ExecutionRef__Output)[];
  /**
   * Labels the client declares, for jobs pinned to labels (`gpu`, `zone=eu-1`): each of letters,
   * digits and `_ . : / = -`, starting with a letter or digit, at most 64 characters; at most 16,
   * each once. Empty when none (clients before labels send none).
   */
  'labels': (string)[];
}
