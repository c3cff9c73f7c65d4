import { describe, expect, it } from 'vitest';
import { ExecutionCause } from '@carillon/core';
import {
  deserializeServerMessage,
  dispatcherServiceDefinition,
  serializeServerMessage,
} from './dispatcher-service.js';
import { ProtocolErrorCode } from './errors.js';
import type { DispatchOrder, ServerMessage } from './server-message.js';
import { encodeServerMessage } from './server-message-codec.js';
import type { ServerMessage as WireServerMessage } from './generated/carillon/v1/ServerMessage.js';

const MAX = Number.MAX_SAFE_INTEGER;
const ID = '0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b';

/** Domain → wire → protobuf bytes → wire → domain, through the codec gRPC uses. */
function roundTrip(message: ServerMessage): unknown {
  const decoded = deserializeServerMessage(serializeServerMessage(message));
  if (!decoded.ok) throw decoded.error;
  return decoded.message;
}

const order: DispatchOrder = {
  executionId: ID,
  attempt: 1,
  jobId: 1,
  jobName: 'simple task test',
  handler: 'simple-test',
  param: 'TestParam',
  scheduledAt: 1_767_225_600_000,
  timeoutMs: 0,
  cause: 'schedule',
};

const messages: readonly [string, ServerMessage][] = [
  [
    'welcome',
    {
      kind: 'welcome',
      serverId: 'server-1',
      heartbeatIntervalMs: 1_000,
      fenceMs: 15_000,
      protocolVersion: 1,
      serverTime: MAX,
    },
  ],
  [
    'welcome at 0',
    {
      kind: 'welcome',
      serverId: 's',
      heartbeatIntervalMs: 1,
      fenceMs: MAX,
      protocolVersion: 1,
      serverTime: 0,
    },
  ],
  ['hello rejected', { kind: 'helloRejected', code: 'unauthenticated', message: 'bad token' }],
  ['hello rejected, no words', { kind: 'helloRejected', code: 'unavailable', message: '' }],
  ['dispatch batch of one', { kind: 'dispatchBatch', dispatches: [order] }],
  [
    'dispatch batch, edge values',
    {
      kind: 'dispatchBatch',
      dispatches: [
        { ...order, scheduledAt: MAX, timeoutMs: MAX, jobId: MAX, attempt: 2_147_483_647 },
        { ...order, scheduledAt: 0, param: null, cause: 'manual' },
        { ...order, param: '', cause: 'retry' },
        { ...order, param: 'p'.repeat(64 * 1024), cause: 'failover' },
        { ...order, param: '{"emoji":"🔔","text":"世界"}', cause: 'misfire' },
        { ...order, startAt: order.scheduledAt },
        { ...order, startAt: 0 },
        { ...order, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
      ],
    },
  ],
  ['cancel', { kind: 'cancel', executionId: ID, attempt: 2, reason: 'timed_out', message: '' }],
  ['cancel', { kind: 'cancel', executionId: ID, attempt: 1, reason: 'requested', message: 'x' }],
  ['cancel', { kind: 'cancel', executionId: ID, attempt: 1, reason: 'overlap', message: '' }],
  ['cancel', { kind: 'cancel', executionId: ID, attempt: 1, reason: 'superseded', message: '' }],
];

describe('server messages', () => {
  it.each(messages)('%s survives the protobuf codec unchanged', (_name, message) => {
    expect(roundTrip(message)).toStrictEqual(message);
  });

  it('leaves out a malformed trace context instead of refusing the dispatch', () => {
    for (const traceparent of [
      '',
      'not-a-traceparent',
      `00-${'A'.repeat(32)}-${'b'.repeat(16)}-01`,
    ]) {
      const message: ServerMessage = {
        kind: 'dispatchBatch',
        dispatches: [{ ...order, traceparent }],
      };
      expect(roundTrip(message)).toStrictEqual({ kind: 'dispatchBatch', dispatches: [order] });
    }
  });

  it('maps every execution cause and every hello rejection code', () => {
    for (const cause of Object.values(ExecutionCause)) {
      const message: ServerMessage = { kind: 'dispatchBatch', dispatches: [{ ...order, cause }] };
      expect(roundTrip(message)).toStrictEqual(message);
    }
    for (const code of [
      'unauthenticated',
      'unknown_group',
      'wrong_server_group',
      'unsupported_protocol',
      'invalid_hello',
      'duplicate_client',
      'unavailable',
    ] as const) {
      const message: ServerMessage = { kind: 'helloRejected', code, message: code };
      expect(roundTrip(message)).toStrictEqual(message);
    }
  });

  it('encodes a batch of 1,000 dispatches as one message', () => {
    const dispatches = Array.from({ length: 1_000 }, (_, i) => ({
      ...order,
      executionId: `e-${i}`,
    }));
    const message: ServerMessage = { kind: 'dispatchBatch', dispatches };
    expect(roundTrip(message)).toStrictEqual(message);
  });
});

const dispatch = {
  executionId: ID,
  attempt: 1,
  jobId: 1,
  jobName: 'j',
  handler: 'h',
  scheduledAtMs: 1,
  cause: 'EXECUTION_CAUSE_SCHEDULE',
} as const;

/** Wire objects a buggy server could send, encoded with the real codec. */
const malformed: readonly [string, unknown, string][] = [
  ['an empty batch', { dispatchBatch: { dispatches: [] } }, 'dispatch_batch.dispatches'],
  [
    'a dispatch without execution id',
    { dispatchBatch: { dispatches: [dispatch, { ...dispatch, executionId: '' }] } },
    'dispatch_batch.dispatches[1].execution_id',
  ],
  [
    'a dispatch with negative attempt',
    { dispatchBatch: { dispatches: [{ ...dispatch, attempt: -3 }] } },
    'dispatch_batch.dispatches[0].attempt',
  ],
  [
    'a dispatch without handler',
    { dispatchBatch: { dispatches: [{ ...dispatch, handler: '' }] } },
    'dispatch_batch.dispatches[0].handler',
  ],
  [
    'a dispatch with job id 0',
    { dispatchBatch: { dispatches: [{ ...dispatch, jobId: 0 }] } },
    'dispatch_batch.dispatches[0].job_id',
  ],
  [
    'a dispatch with unspecified cause',
    { dispatchBatch: { dispatches: [{ ...dispatch, cause: 0 }] } },
    'dispatch_batch.dispatches[0].cause',
  ],
  [
    'a dispatch with unknown cause',
    { dispatchBatch: { dispatches: [{ ...dispatch, cause: 77 }] } },
    'dispatch_batch.dispatches[0].cause',
  ],
  [
    'a dispatch scheduled beyond 2^53 - 1',
    { dispatchBatch: { dispatches: [{ ...dispatch, scheduledAtMs: '9223372036854775807' }] } },
    'dispatch_batch.dispatches[0].scheduled_at_ms',
  ],
  [
    'a dispatch with negative timeout',
    { dispatchBatch: { dispatches: [{ ...dispatch, timeoutMs: -1 }] } },
    'dispatch_batch.dispatches[0].timeout_ms',
  ],
  [
    'a welcome without server id',
    { welcome: { heartbeatIntervalMs: 1, fenceMs: 1, protocolVersion: 1 } },
    'welcome.server_id',
  ],
  [
    'a welcome with fence 0',
    { welcome: { serverId: 's', heartbeatIntervalMs: 1, protocolVersion: 1 } },
    'welcome.fence_ms',
  ],
  ['a rejection without code', { helloRejected: { message: 'x' } }, 'hello_rejected.code'],
  [
    'a cancel with unknown reason',
    { cancel: { executionId: ID, attempt: 1, reason: 12 } },
    'cancel.reason',
  ],
  ['a cancel without attempt', { cancel: { executionId: ID, reason: 1 } }, 'cancel.attempt'],
];

describe('received server messages that break the contract', () => {
  const method = dispatcherServiceDefinition().Connect;

  it.each(malformed)('%s is rejected as malformed', (_name, wire, field) => {
    const decoded = deserializeServerMessage(method.responseSerialize(wire as WireServerMessage));
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.error.code).toBe(ProtocolErrorCode.Malformed);
    expect(decoded.error.details['field']).toBe(field);
  });

  it('rejects an empty message as unknown (it may come from a newer server)', () => {
    const decoded = deserializeServerMessage(method.responseSerialize({}));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.code).toBe(ProtocolErrorCode.UnknownMessage);
  });
});

describe('server messages this process must not send', () => {
  const cases: readonly [string, ServerMessage, string][] = [
    ['an empty batch', { kind: 'dispatchBatch', dispatches: [] }, 'dispatch_batch.dispatches'],
    [
      'a fractional scheduled instant',
      { kind: 'dispatchBatch', dispatches: [{ ...order, scheduledAt: 1.5 }] },
      'dispatch_batch.dispatches[0].scheduled_at_ms',
    ],
    [
      'an unknown cause',
      { kind: 'dispatchBatch', dispatches: [{ ...order, cause: 'whim' as ExecutionCause }] },
      'dispatch_batch.dispatches[0].cause',
    ],
    [
      'a job name too long',
      { kind: 'dispatchBatch', dispatches: [{ ...order, jobName: 'n'.repeat(129) }] },
      'dispatch_batch.dispatches[0].job_name',
    ],
    [
      'a heartbeat interval of 0',
      {
        kind: 'welcome',
        serverId: 's',
        heartbeatIntervalMs: 0,
        fenceMs: 1,
        protocolVersion: 1,
        serverTime: 0,
      },
      'welcome.heartbeat_interval_ms',
    ],
  ];

  it.each(cases)('%s throws before anything is sent', (_name, message, field) => {
    expect(thrown(() => encodeServerMessage(message))).toMatchObject({
      code: ProtocolErrorCode.InvalidOutgoing,
      details: { field },
    });
  });
});

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an exception');
}
