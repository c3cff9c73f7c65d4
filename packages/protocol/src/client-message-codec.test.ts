import { describe, expect, it } from 'vitest';
import { LogLevel } from '@carillon/core';
import type { ClientMessage } from './client-message.js';
import { encodeClientMessage } from './client-message-codec.js';
import {
  deserializeClientMessage,
  dispatcherServiceDefinition,
  serializeClientMessage,
} from './dispatcher-service.js';
import { ProtocolErrorCode } from './errors.js';
import type { ClientMessage as WireClientMessage } from './generated/carillon/v1/ClientMessage.js';

const MAX = Number.MAX_SAFE_INTEGER;
const ID = '0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b';
const UNICODE = 'Grüße, 世界! 🔔 שלום e\u0301 \u0000 tab\tnew\nline';

/** Domain → wire → protobuf bytes → wire → domain, through the codec gRPC uses. */
function roundTrip(message: ClientMessage): unknown {
  const decoded = deserializeClientMessage(serializeClientMessage(message));
  if (!decoded.ok) throw decoded.error;
  return decoded.message;
}

const messages: readonly [string, ClientMessage][] = [
  [
    'hello',
    {
      kind: 'hello',
      groupId: '101-1-2-6601',
      clientId: 'host-a:4242:x1',
      token: 'ct_secret',
      handlers: [
        { name: 'simple-test', concurrency: 4 },
        { name: 'reports', concurrency: 1 },
      ],
      capacity: 8,
      room: 'eu-west-1a',
      sdkVersion: '@carillon/client 0.1.0',
      protocolVersion: 1,
      running: [{ executionId: ID, attempt: 3 }],
      labels: ['gpu', 'zone=eu-1'],
    },
  ],
  [
    'hello, empty optional parts',
    {
      kind: 'hello',
      groupId: '1-1-1-1',
      clientId: 'c',
      token: 't',
      handlers: [],
      capacity: 1,
      room: '',
      sdkVersion: '',
      protocolVersion: 1,
      running: [],
      labels: [],
    },
  ],
  [
    'heartbeat',
    {
      kind: 'heartbeat',
      at: MAX,
      inFlight: 3,
      capacity: 8,
      handlers: [{ name: 'simple-test', inFlight: 3, hung: 1 }],
    },
  ],
  ['heartbeat at 0', { kind: 'heartbeat', at: 0, inFlight: 0, capacity: 0, handlers: [] }],
  ['accepted', { kind: 'accepted', executionId: ID, attempt: 1 }],
  ['accepted, largest attempt', { kind: 'accepted', executionId: ID, attempt: 2_147_483_647 }],
  [
    'refused',
    { kind: 'refused', executionId: ID, attempt: 2, reason: 'at_capacity', message: 'full' },
  ],
  ['refused', { kind: 'refused', executionId: ID, attempt: 1, reason: 'stopping', message: '' }],
  [
    'refused',
    { kind: 'refused', executionId: ID, attempt: 1, reason: 'unknown_handler', message: 'x' },
  ],
  ['started', { kind: 'started', executionId: ID, attempt: 1, at: MAX }],
  ['started at 0', { kind: 'started', executionId: ID, attempt: 1, at: 0 }],
  ...Object.values(LogLevel).map((level): [string, ClientMessage] => [
    `log ${level}`,
    { kind: 'log', executionId: ID, attempt: 1, at: 1_767_225_600_000, level, message: UNICODE },
  ]),
  [
    'log, empty line',
    { kind: 'log', executionId: ID, attempt: 1, at: 0, level: 'info', message: '' },
  ],
  [
    'progress, both',
    { kind: 'progress', executionId: ID, attempt: 1, at: MAX, fraction: 0.25, message: UNICODE },
  ],
  [
    'progress, fraction 0 and empty text (present, not absent)',
    { kind: 'progress', executionId: ID, attempt: 1, at: 1, fraction: 0, message: '' },
  ],
  [
    'progress, neither',
    { kind: 'progress', executionId: ID, attempt: 1, at: 1, fraction: null, message: null },
  ],
  [
    'progress, fraction 1',
    { kind: 'progress', executionId: ID, attempt: 1, at: 1, fraction: 1, message: null },
  ],
  [
    'result succeeded',
    {
      kind: 'result',
      executionId: ID,
      attempt: 1,
      at: MAX,
      outcome: 'succeeded',
      result: 'x'.repeat(64 * 1024),
      error: null,
    },
  ],
  [
    'result succeeded, empty result (present, not absent)',
    {
      kind: 'result',
      executionId: ID,
      attempt: 1,
      at: 0,
      outcome: 'succeeded',
      result: '',
      error: null,
    },
  ],
  [
    'result failed',
    {
      kind: 'result',
      executionId: ID,
      attempt: 7,
      at: 5,
      outcome: 'failed',
      result: null,
      error: {
        type: 'TypeError',
        message: UNICODE,
        stack: 'TypeError: x\n    at y',
        retryable: true,
      },
    },
  ],
  [
    'result failed, no stack, not retryable',
    {
      kind: 'result',
      executionId: ID,
      attempt: 1,
      at: 5,
      outcome: 'failed',
      result: null,
      error: { type: 'NonRetryableError', message: '', stack: null, retryable: false },
    },
  ],
  [
    'result cancelled',
    {
      kind: 'result',
      executionId: ID,
      attempt: 1,
      at: 5,
      outcome: 'cancelled',
      result: null,
      error: null,
    },
  ],
  [
    'result timed out',
    {
      kind: 'result',
      executionId: ID,
      attempt: 1,
      at: 5,
      outcome: 'timed_out',
      result: null,
      error: null,
    },
  ],
];

describe('client messages', () => {
  it.each(messages)('%s survives the protobuf codec unchanged', (_name, message) => {
    expect(roundTrip(message)).toStrictEqual(message);
  });

  it('covers every kind', () => {
    const kinds = new Set(messages.map(([, message]) => message.kind));
    expect([...kinds].sort()).toEqual(
      ['accepted', 'heartbeat', 'hello', 'log', 'progress', 'refused', 'result', 'started'].sort(),
    );
  });
});

/** Wire objects a buggy or hostile client could send, encoded with the real codec. */
const malformed: readonly [string, unknown, string][] = [
  ['missing execution id', { accepted: { attempt: 1 } }, 'accepted.execution_id'],
  ['attempt 0 (absent)', { accepted: { executionId: ID } }, 'accepted.attempt'],
  ['negative attempt', { started: { executionId: ID, attempt: -1, atMs: 1 } }, 'started.attempt'],
  ['negative instant', { started: { executionId: ID, attempt: 1, atMs: -5 } }, 'started.at_ms'],
  [
    'instant beyond 2^53 - 1',
    { started: { executionId: ID, attempt: 1, atMs: '9007199254740993' } },
    'started.at_ms',
  ],
  [
    'unknown outcome number',
    { result: { executionId: ID, attempt: 1, atMs: 1, outcome: 9 } },
    'result.outcome',
  ],
  ['unspecified outcome', { result: { executionId: ID, attempt: 1, atMs: 1 } }, 'result.outcome'],
  [
    'error without type',
    { result: { executionId: ID, attempt: 1, atMs: 1, outcome: 2, error: { message: 'm' } } },
    'result.error.type',
  ],
  ['unspecified log level', { log: { executionId: ID, attempt: 1, atMs: 1 } }, 'log.level'],
  [
    'unknown refuse reason',
    { refused: { executionId: ID, attempt: 1, reason: 42 } },
    'refused.reason',
  ],
  [
    'fraction above 1',
    { progress: { executionId: ID, attempt: 1, atMs: 1, fraction: 1.5 } },
    'progress.fraction',
  ],
  [
    'fraction NaN',
    { progress: { executionId: ID, attempt: 1, atMs: 1, fraction: Number.NaN } },
    'progress.fraction',
  ],
  ['negative in-flight', { heartbeat: { atMs: 1, inFlight: -1 } }, 'heartbeat.in_flight'],
  [
    'handler load without name',
    { heartbeat: { atMs: 1, handlers: [{ inFlight: 1 }] } },
    'heartbeat.handlers[0].name',
  ],
  [
    'negative hung count',
    { heartbeat: { atMs: 1, handlers: [{ name: 'a', inFlight: 1, hung: -1 }] } },
    'heartbeat.handlers[0].hung',
  ],
  ['hello without anything', { hello: {} }, 'hello.group_id'],
  ['hello with backups 0', { hello: hello({ groupId: '101-1-0-6601' }) }, 'hello.group_id'],
  ['hello without token', { hello: hello({ token: '' }) }, 'hello.token'],
  ['hello with capacity 0', { hello: hello({ capacity: 0 }) }, 'hello.capacity'],
  ['hello without version', { hello: hello({ protocolVersion: 0 }) }, 'hello.protocol_version'],
  [
    'hello with concurrency 0',
    { hello: hello({ handlers: [{ name: 'a', concurrency: 0 }] }) },
    'hello.handlers[0].concurrency',
  ],
  [
    'hello naming a handler twice',
    {
      hello: hello({
        handlers: [
          { name: 'a', concurrency: 1 },
          { name: 'a', concurrency: 2 },
        ],
      }),
    },
    'hello.handlers',
  ],
  [
    'hello with a handler name too long',
    { hello: hello({ handlers: [{ name: 'h'.repeat(129), concurrency: 1 }] }) },
    'hello.handlers[0].name',
  ],
  ['hello with a room too long', { hello: hello({ room: 'r'.repeat(257) }) }, 'hello.room'],
  ['hello with a bad label', { hello: hello({ labels: ['a b'] }) }, 'hello.labels[0]'],
  ['hello with a label twice', { hello: hello({ labels: ['a', 'a'] }) }, 'hello.labels'],
  [
    'hello with a running attempt 0',
    { hello: hello({ running: [{ executionId: ID, attempt: 0 }] }) },
    'hello.running[0].attempt',
  ],
];

function hello(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    groupId: '101-1-2-6601',
    clientId: 'c1',
    token: 't',
    handlers: [{ name: 'simple-test', concurrency: 1 }],
    capacity: 1,
    protocolVersion: 1,
    ...overrides,
  };
}

describe('received client messages that break the contract', () => {
  const method = dispatcherServiceDefinition().Connect;

  it.each(malformed)('%s is rejected as malformed', (_name, wire, field) => {
    const decoded = deserializeClientMessage(method.requestSerialize(wire as WireClientMessage));
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.error.code).toBe(ProtocolErrorCode.Malformed);
    expect(decoded.error.details['field']).toBe(field);
  });

  it('rejects an empty message as unknown (it may come from a newer client)', () => {
    const decoded = deserializeClientMessage(method.requestSerialize({}));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.code).toBe(ProtocolErrorCode.UnknownMessage);
  });

  it('rejects bytes that are not protobuf', () => {
    const decoded = deserializeClientMessage(Buffer.from([0xff, 0xff, 0xff]));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.code).toBe(ProtocolErrorCode.Malformed);
  });
});

describe('client messages this process must not send', () => {
  const started = { kind: 'started', executionId: ID, attempt: 1, at: 1 } as const;
  const cases: readonly [string, ClientMessage, string][] = [
    ['empty execution id', { ...started, executionId: '' }, 'started.execution_id'],
    ['attempt 0', { ...started, attempt: 0 }, 'started.attempt'],
    ['fractional attempt', { ...started, attempt: 1.5 }, 'started.attempt'],
    ['NaN instant', { ...started, at: Number.NaN }, 'started.at_ms'],
    ['instant beyond 2^53 - 1', { ...started, at: 2 ** 53 }, 'started.at_ms'],
    [
      'fraction 2',
      { kind: 'progress', executionId: ID, attempt: 1, at: 1, fraction: 2, message: null },
      'progress.fraction',
    ],
    [
      'unknown log level',
      { kind: 'log', executionId: ID, attempt: 1, at: 1, level: 'trace' as LogLevel, message: '' },
      'log.level',
    ],
  ];

  it.each(cases)('%s throws before anything is sent', (_name, message, field) => {
    expect(thrown(() => encodeClientMessage(message))).toMatchObject({
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
