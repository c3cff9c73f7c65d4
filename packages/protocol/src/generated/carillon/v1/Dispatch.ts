// Original file: proto/carillon/v1/dispatch.proto

import type { ExecutionCause as _carillon_v1_ExecutionCause, ExecutionCause__Output as _carillon_v1_ExecutionCause__Output } from '../../carillon/v1/ExecutionCause.js';
import type { SubtaskOrder as _carillon_v1_SubtaskOrder, SubtaskOrder__Output as _carillon_v1_SubtaskOrder__Output } from '../../carillon/v1/SubtaskOrder.js';
import type { ReduceOrder as _carillon_v1_ReduceOrder, ReduceOrder__Output as _carillon_v1_ReduceOrder__Output } from '../../carillon/v1/ReduceOrder.js';
import type { ShardOrder as _carillon_v1_ShardOrder, ShardOrder__Output as _carillon_v1_ShardOrder__Output } from '../../carillon/v1/ShardOrder.js';
import type { Long } from '@grpc/proto-loader';

/**
 * One attempt of one execution, to run on this client.
 */
export interface Dispatch {
  /**
   * The execution's id. Required.
   */
  'executionId'?: (string);
  /**
   * The dispatch attempt, from 1. Required.
   */
  'attempt'?: (number);
  /**
   * The job's numeric id. At least 1.
   */
  'jobId'?: (number | string | Long);
  /**
   * The job's name, for logs and the handler's context. Required, at most 128 characters.
   */
  'jobName'?: (string);
  /**
   * The handler to run: one of the names in Hello.handlers. Required.
   */
  'handler'?: (string);
  /**
   * The job's custom parameter (or the manual fire's), as text; absent when it has none.
   */
  'param'?: (string);
  /**
   * The instant the fire was due (for manual fires: when it was asked for), on the server's
   * clock (instant, ms since the epoch).
   */
  'scheduledAtMs'?: (number | string | Long);
  /**
   * How long the handler may run, from when the client starts it; 0 for no limit. At least 0.
   * The server enforces it too, by sending Cancel TIMED_OUT.
   */
  'timeoutMs'?: (number | string | Long);
  /**
   * Why the execution exists. Required.
   */
  'cause'?: (_carillon_v1_ExecutionCause);
  /**
   * When to start the handler (instant, ms since the epoch, on the server's clock); absent: at
   * once. Servers send a fire ahead of its instant so that sending and decoding are done by
   * then. The client converts the instant to its own clock with the skew it estimates from
   * Welcome.server_time_ms (erring late, never early), answers Accepted, and starts the handler
   * at the instant. Until then the dispatch takes a slot and is named in Hello.running; a Cancel
   * or the fence ends it CANCELLED without running the handler; a client that stops answers
   * Refused STOPPING, so that the server places it elsewhere.
   */
  'startAtMs'?: (number | string | Long);
  /**
   * W3C Trace Context `traceparent` of the server's span of this fire, when the server traces
   * (OpenTelemetry): a client that traces runs the handler in that context, so that the
   * handler's spans join the fire's trace. Absent: no trace. At most 55 characters.
   */
  'traceparent'?: (string);
  /**
   * Present when this dispatch runs one subtask of a parallel job's execution (the handler's
   * second level, `process`): `execution_id` and `attempt` are then the subtask's own, and every
   * report about it names them. Absent for the first level (`dispatch`) and for simple jobs.
   */
  'subtask'?: (_carillon_v1_SubtaskOrder | null);
  /**
   * Present when this dispatch runs the last step of a parallel job's execution (`reduce`), once
   * every subtask ended: `execution_id` is then the reduce step's own id.
   */
  'reduce'?: (_carillon_v1_ReduceOrder | null);
  /**
   * Present when this dispatch runs one shard of a sharded job's execution, or one client's
   * share of a broadcast fire (a simple job with routing `broadcast`): `execution_id` and
   * `attempt` are then the shard's own (a subtask of the execution), and the handler runs as for
   * a simple job, told which shard it runs.
   */
  'shard'?: (_carillon_v1_ShardOrder | null);
  '_param'?: "param";
  '_startAtMs'?: "startAtMs";
  '_traceparent'?: "traceparent";
}

/**
 * One attempt of one execution, to run on this client.
 */
export interface Dispatch__Output {
  /**
   * The execution's id. Required.
   */
  'executionId': (string);
  /**
   * The dispatch attempt, from 1. Required.
   */
  'attempt': (number);
  /**
   * The job's numeric id. At least 1.
   */
  'jobId': (number);
  /**
   * The job's name, for logs and the handler's context. Required, at most 128 characters.
   */
  'jobName': (string);
  /**
   * The handler to run: one of the names in Hello.handlers. Required.
   */
  'handler': (string);
  /**
   * The job's custom parameter (or the manual fire's), as text; absent when it has none.
   */
  'param'?: (string);
  /**
   * The instant the fire was due (for manual fires: when it was asked for), on the server's
   * clock (instant, ms since the epoch).
   */
  'scheduledAtMs': (number);
  /**
   * How long the handler may run, from when the client starts it; 0 for no limit. At least 0.
   * The server enforces it too, by sending Cancel TIMED_OUT.
   */
  'timeoutMs': (number);
  /**
   * Why the execution exists. Required.
   */
  'cause': (_carillon_v1_ExecutionCause__Output);
  /**
   * When to start the handler (instant, ms since the epoch, on the server's clock); absent: at
   * once. Servers send a fire ahead of its instant so that sending and decoding are done by
   * then. The client converts the instant to its own clock with the skew it estimates from
   * Welcome.server_time_ms (erring late, never early), answers Accepted, and starts the handler
   * at the instant. Until then the dispatch takes a slot and is named in Hello.running; a Cancel
   * or the fence ends it CANCELLED without running the handler; a client that stops answers
   * Refused STOPPING, so that the server places it elsewhere.
   */
  'startAtMs'?: (number);
  /**
   * W3C Trace Context `traceparent` of the server's span of this fire, when the server traces
   * (OpenTelemetry): a client that traces runs the handler in that context, so that the
   * handler's spans join the fire's trace. Absent: no trace. At most 55 characters.
   */
  'traceparent'?: (string);
  /**
   * Present when this dispatch runs one subtask of a parallel job's execution (the handler's
   * second level, `process`): `execution_id` and `attempt` are then the subtask's own, and every
   * report about it names them. Absent for the first level (`dispatch`) and for simple jobs.
   */
  'subtask': (_carillon_v1_SubtaskOrder__Output | null);
  /**
   * Present when this dispatch runs the last step of a parallel job's execution (`reduce`), once
   * every subtask ended: `execution_id` is then the reduce step's own id.
   */
  'reduce': (_carillon_v1_ReduceOrder__Output | null);
  /**
   * Present when this dispatch runs one shard of a sharded job's execution, or one client's
   * share of a broadcast fire (a simple job with routing `broadcast`): `execution_id` and
   * `attempt` are then the shard's own (a subtask of the execution), and the handler runs as for
   * a simple job, told which shard it runs.
   */
  'shard': (_carillon_v1_ShardOrder__Output | null);
  '_param'?: "param";
  '_startAtMs'?: "startAtMs";
  '_traceparent'?: "traceparent";
}
