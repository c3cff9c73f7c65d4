import { ExecutionCause } from '@carillon/core';
import { ProtocolErrorCode, decodeSafely, protocolError } from './errors.js';
import { isTraceparent } from './dispatch-trace.js';
import type { Decoded } from './errors.js';
import { EnumMapping, FieldChecker } from './field-checker.js';
import { PROTOCOL_LIMITS } from './protocol-limits.js';
import { CancelReason, HelloRejectCode } from './server-message.js';
import type { DispatchOrder, ServerMessage, ShardOrder } from './server-message.js';
import type { CancelReason__Output as WireCancelReason } from './generated/carillon/v1/CancelReason.js';
import type {
  Dispatch as WireDispatch,
  Dispatch__Output as WireDispatchOutput,
} from './generated/carillon/v1/Dispatch.js';
import type {
  ShardOrder as WireShardOrder,
  ShardOrder__Output as WireShardOrderOutput,
} from './generated/carillon/v1/ShardOrder.js';
import type { ExecutionCause__Output as WireExecutionCause } from './generated/carillon/v1/ExecutionCause.js';
import type { HelloRejectCode__Output as WireHelloRejectCode } from './generated/carillon/v1/HelloRejectCode.js';
import type {
  ServerMessage as WireServerMessage,
  ServerMessage__Output as WireServerMessageOutput,
} from './generated/carillon/v1/ServerMessage.js';

const CAUSES = new EnumMapping<ExecutionCause, WireExecutionCause>({
  [ExecutionCause.Schedule]: 'EXECUTION_CAUSE_SCHEDULE',
  [ExecutionCause.Manual]: 'EXECUTION_CAUSE_MANUAL',
  [ExecutionCause.Retry]: 'EXECUTION_CAUSE_RETRY',
  [ExecutionCause.Failover]: 'EXECUTION_CAUSE_FAILOVER',
  [ExecutionCause.Misfire]: 'EXECUTION_CAUSE_MISFIRE',
});

const CANCEL_REASONS = new EnumMapping<CancelReason, WireCancelReason>({
  [CancelReason.Requested]: 'CANCEL_REASON_REQUESTED',
  [CancelReason.TimedOut]: 'CANCEL_REASON_TIMED_OUT',
  [CancelReason.Overlap]: 'CANCEL_REASON_OVERLAP',
  [CancelReason.Superseded]: 'CANCEL_REASON_SUPERSEDED',
});

const HELLO_REJECT_CODES = new EnumMapping<HelloRejectCode, WireHelloRejectCode>({
  [HelloRejectCode.Unauthenticated]: 'HELLO_REJECT_CODE_UNAUTHENTICATED',
  [HelloRejectCode.UnknownGroup]: 'HELLO_REJECT_CODE_UNKNOWN_GROUP',
  [HelloRejectCode.WrongServerGroup]: 'HELLO_REJECT_CODE_WRONG_SERVER_GROUP',
  [HelloRejectCode.UnsupportedProtocol]: 'HELLO_REJECT_CODE_UNSUPPORTED_PROTOCOL',
  [HelloRejectCode.InvalidHello]: 'HELLO_REJECT_CODE_INVALID_HELLO',
  [HelloRejectCode.DuplicateClient]: 'HELLO_REJECT_CODE_DUPLICATE_CLIENT',
  [HelloRejectCode.Unavailable]: 'HELLO_REJECT_CODE_UNAVAILABLE',
});

const incoming = new FieldChecker(ProtocolErrorCode.Malformed);
const outgoing = new FieldChecker(ProtocolErrorCode.InvalidOutgoing);

/**
 * Checks a server message and turns it into its wire form (what the gRPC stream writes).
 *
 * @throws CarillonError `CARILLON_PROTOCOL_INVALID_OUTGOING` when a field breaks the contract
 *   (an empty batch, attempt 0, a scheduled instant beyond 2^53 - 1, an unknown cause, ...).
 */
export function encodeServerMessage(message: ServerMessage): WireServerMessage {
  const c = outgoing;
  switch (message.kind) {
    case 'welcome':
      return {
        welcome: {
          serverId: c.id('welcome.server_id', message.serverId),
          heartbeatIntervalMs: c.int64(
            'welcome.heartbeat_interval_ms',
            message.heartbeatIntervalMs,
            1,
          ),
          fenceMs: c.int64('welcome.fence_ms', message.fenceMs, 1),
          protocolVersion: c.int32('welcome.protocol_version', message.protocolVersion, 1),
          serverTimeMs: c.instant('welcome.server_time_ms', message.serverTime),
        },
      };
    case 'helloRejected':
      return {
        helloRejected: {
          code: c.member('hello_rejected.code', message.code, HELLO_REJECT_CODES.toWire),
          message: c.text('hello_rejected.message', message.message),
        },
      };
    case 'dispatchBatch':
      return {
        dispatchBatch: {
          dispatches: c.list('dispatch_batch.dispatches', message.dispatches, encodeDispatch, 1),
        },
      };
    case 'cancel':
      return {
        cancel: {
          executionId: c.id('cancel.execution_id', message.executionId),
          attempt: c.attempt('cancel.attempt', message.attempt),
          reason: c.member('cancel.reason', message.reason, CANCEL_REASONS.toWire),
          message: c.text('cancel.message', message.message),
        },
      };
    default:
      return c.fail('payload', `unknown kind ${String((message as { kind: unknown }).kind)}`);
  }
}

/**
 * Checks a received server message (as the codec decoded it) and turns it into a domain value.
 * Never throws: a message that breaks the contract yields `{ ok: false, error }` with code
 * `CARILLON_PROTOCOL_MALFORMED`, one without a payload this version knows yields
 * `CARILLON_PROTOCOL_UNKNOWN_MESSAGE` (ignore it: it may come from a newer server).
 */
export function decodeServerMessage(wire: WireServerMessageOutput): Decoded<ServerMessage> {
  return decodeSafely(() => decodeOrThrow(wire));
}

function decodeOrThrow(wire: WireServerMessageOutput): ServerMessage {
  const c = incoming;
  switch (wire.payload) {
    case 'welcome': {
      const w = c.object('welcome', wire.welcome);
      return {
        kind: 'welcome',
        serverId: c.id('welcome.server_id', w.serverId),
        heartbeatIntervalMs: c.int64('welcome.heartbeat_interval_ms', w.heartbeatIntervalMs, 1),
        fenceMs: c.int64('welcome.fence_ms', w.fenceMs, 1),
        protocolVersion: c.int32('welcome.protocol_version', w.protocolVersion, 1),
        serverTime: c.instant('welcome.server_time_ms', w.serverTimeMs),
      };
    }
    case 'helloRejected': {
      const w = c.object('hello_rejected', wire.helloRejected);
      return {
        kind: 'helloRejected',
        code: c.member('hello_rejected.code', w.code, HELLO_REJECT_CODES.fromWire),
        message: c.text('hello_rejected.message', w.message),
      };
    }
    case 'dispatchBatch': {
      const w = c.object('dispatch_batch', wire.dispatchBatch);
      return {
        kind: 'dispatchBatch',
        dispatches: c.list('dispatch_batch.dispatches', w.dispatches, decodeDispatch, 1),
      };
    }
    case 'cancel': {
      const w = c.object('cancel', wire.cancel);
      return {
        kind: 'cancel',
        executionId: c.id('cancel.execution_id', w.executionId),
        attempt: c.attempt('cancel.attempt', w.attempt),
        reason: c.member('cancel.reason', w.reason, CANCEL_REASONS.fromWire),
        message: c.text('cancel.message', w.message),
      };
    }
    case undefined:
    default:
      throw protocolError(
        ProtocolErrorCode.UnknownMessage,
        'payload',
        'is empty or of a newer kind',
      );
  }
}

function encodeDispatch(order: DispatchOrder, field: string): WireDispatch {
  const c = outgoing;
  const param = c.optionalText(`${field}.param`, order.param);
  return {
    executionId: c.id(`${field}.execution_id`, order.executionId),
    attempt: c.attempt(`${field}.attempt`, order.attempt),
    jobId: c.int64(`${field}.job_id`, order.jobId, 1),
    jobName: c.id(`${field}.job_name`, order.jobName, PROTOCOL_LIMITS.jobNameMaxLength),
    handler: c.id(`${field}.handler`, order.handler, PROTOCOL_LIMITS.handlerMaxLength),
    ...(param === null ? {} : { param }),
    scheduledAtMs: c.instant(`${field}.scheduled_at_ms`, order.scheduledAt),
    timeoutMs: c.int64(`${field}.timeout_ms`, order.timeoutMs, 0),
    cause: c.member(`${field}.cause`, order.cause, CAUSES.toWire),
    ...(order.startAt === undefined
      ? {}
      : { startAtMs: c.instant(`${field}.start_at_ms`, order.startAt) }),
    // Tracing never stops a fire: a malformed trace context is left out, not refused.
    ...(isTraceparent(order.traceparent) ? { traceparent: order.traceparent } : {}),
    ...(order.subtask === undefined
      ? {}
      : {
          subtask: {
            parentExecutionId: c.id(
              `${field}.subtask.parent_execution_id`,
              order.subtask.parentExecutionId,
            ),
            position: c.int64(`${field}.subtask.position`, order.subtask.position, 1),
            payload: c.text(`${field}.subtask.payload`, order.subtask.payload),
          },
        }),
    ...(order.reduce === undefined
      ? {}
      : {
          reduce: {
            parentExecutionId: c.id(
              `${field}.reduce.parent_execution_id`,
              order.reduce.parentExecutionId,
            ),
            results: c.text(`${field}.reduce.results`, order.reduce.results),
          },
        }),
    ...(order.shard === undefined ? {} : { shard: encodeShard(order.shard, `${field}.shard`) }),
  };
}

function decodeDispatch(w: WireDispatchOutput, field: string): DispatchOrder {
  const c = incoming;
  return {
    executionId: c.id(`${field}.execution_id`, w.executionId),
    attempt: c.attempt(`${field}.attempt`, w.attempt),
    jobId: c.int64(`${field}.job_id`, w.jobId, 1),
    jobName: c.id(`${field}.job_name`, w.jobName, PROTOCOL_LIMITS.jobNameMaxLength),
    handler: c.id(`${field}.handler`, w.handler, PROTOCOL_LIMITS.handlerMaxLength),
    param: c.optionalText(`${field}.param`, w.param),
    scheduledAt: c.instant(`${field}.scheduled_at_ms`, w.scheduledAtMs),
    timeoutMs: c.int64(`${field}.timeout_ms`, w.timeoutMs, 0),
    cause: c.member(`${field}.cause`, w.cause, CAUSES.fromWire),
    ...(w.startAtMs === undefined || w.startAtMs === null
      ? {}
      : { startAt: c.instant(`${field}.start_at_ms`, w.startAtMs) }),
    ...(isTraceparent(w.traceparent) ? { traceparent: w.traceparent } : {}),
    ...(w.subtask === undefined || w.subtask === null
      ? {}
      : {
          subtask: {
            parentExecutionId: c.id(
              `${field}.subtask.parent_execution_id`,
              w.subtask.parentExecutionId,
            ),
            position: c.int64(`${field}.subtask.position`, w.subtask.position, 1),
            payload: c.text(`${field}.subtask.payload`, w.subtask.payload),
          },
        }),
    ...(w.reduce === undefined || w.reduce === null
      ? {}
      : {
          reduce: {
            parentExecutionId: c.id(
              `${field}.reduce.parent_execution_id`,
              w.reduce.parentExecutionId,
            ),
            results: c.text(`${field}.reduce.results`, w.reduce.results),
          },
        }),
    ...(w.shard === undefined || w.shard === null
      ? {}
      : { shard: decodeShard(w.shard, `${field}.shard`) }),
  };
}

function encodeShard(shard: ShardOrder, field: string): WireShardOrder {
  const c = outgoing;
  const param = c.optionalText(`${field}.param`, shard.param);
  const count = c.int64(`${field}.count`, shard.count, 1);
  return {
    parentExecutionId: c.id(`${field}.parent_execution_id`, shard.parentExecutionId),
    index: shardIndex(ProtocolErrorCode.InvalidOutgoing, shard.index, count, field),
    count,
    ...(param === null ? {} : { param }),
  };
}

function decodeShard(w: WireShardOrderOutput, field: string): ShardOrder {
  const c = incoming;
  const count = c.int64(`${field}.count`, w.count, 1);
  return {
    parentExecutionId: c.id(`${field}.parent_execution_id`, w.parentExecutionId),
    index: shardIndex(
      ProtocolErrorCode.Malformed,
      c.int64(`${field}.index`, w.index, 0),
      count,
      field,
    ),
    count,
    param: c.optionalText(`${field}.param`, w.param),
  };
}

function shardIndex(code: ProtocolErrorCode, index: number, count: number, field: string): number {
  if (!Number.isSafeInteger(index) || index < 0 || index >= count)
    throw protocolError(code, `${field}.index`, `must be from 0 to count - 1 (${count - 1})`);
  return index;
}
