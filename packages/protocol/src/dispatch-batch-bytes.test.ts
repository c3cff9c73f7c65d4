import { describe, expect, it } from 'vitest';
import { DISPATCH_BATCH_FIELDS, writeDispatchBatch } from './dispatch-batch-bytes.js';
import { loadDispatcherProto, serializeServerMessage } from './dispatcher-service.js';
import { encodeServerMessage } from './server-message-codec.js';
import type { DispatchOrder, ServerMessage } from './server-message.js';
import type { ServerMessage as WireServerMessage } from './generated/carillon/v1/ServerMessage.js';

// What protobufjs writes: the service as loaded, before the dispatch batch writer.
const protobufjs = (message: ServerMessage): Buffer =>
  loadDispatcherProto().Dispatcher.service.Connect.responseSerialize(encodeServerMessage(message));

const base: DispatchOrder = {
  executionId: '0190a5b2-7c3d-7e4f-8a1b-000000000001',
  attempt: 1,
  jobId: 7,
  jobName: 'fan-out',
  handler: 'parallel-test',
  param: '{"items":100}',
  scheduledAt: 1_764_000_000_000,
  timeoutMs: 0,
  cause: 'manual',
};

const orders: readonly [string, DispatchOrder][] = [
  ['a simple fire', base],
  [
    'no parameter, a start instant, a trace',
    {
      ...base,
      param: null,
      startAt: 1_764_000_000_500,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    },
  ],
  [
    'the largest numbers',
    {
      ...base,
      attempt: 2_147_483_647,
      jobId: Number.MAX_SAFE_INTEGER,
      scheduledAt: Number.MAX_SAFE_INTEGER,
      timeoutMs: 2 ** 40 + 3,
    },
  ],
  ['empty texts', { ...base, param: '', jobName: 'j' }],
  [
    'a subtask with text beyond ASCII',
    {
      ...base,
      subtask: { parentExecutionId: base.executionId, position: 100_000, payload: '"é🔔"' },
    },
  ],
  [
    'a long subtask payload',
    {
      ...base,
      subtask: { parentExecutionId: base.executionId, position: 1, payload: 'x'.repeat(70_000) },
    },
  ],
  [
    'a reduce step',
    {
      ...base,
      reduce: { parentExecutionId: base.executionId, results: '["ok","ok"]' },
    },
  ],
  [
    'a shard with and without parameter',
    {
      ...base,
      shard: { parentExecutionId: base.executionId, index: 0, count: 3, param: 'a' },
    },
  ],
  [
    'a shard without parameter',
    {
      ...base,
      shard: { parentExecutionId: base.executionId, index: 2, count: 3, param: null },
    },
  ],
];

const causes = new Map(
  (
    loadDispatcherProto().ExecutionCause.type as {
      value: ReadonlyArray<{ name: string; number: number }>;
    }
  ).value.map((v) => [v.name, v.number]),
);

/** The writer's bytes; undefined when it left the message to protobufjs. */
const written = (message: ServerMessage): Buffer | undefined =>
  writeDispatchBatch(encodeServerMessage(message), causes);

describe('the dispatch batch writer', () => {
  it.each(orders)('writes %s as protobufjs does', (_name, order) => {
    const message: ServerMessage = { kind: 'dispatchBatch', dispatches: [order] };
    expect(written(message)?.equals(protobufjs(message))).toBe(true);
  });

  it('writes a batch of hundreds of subtasks as protobufjs does', () => {
    const dispatches = Array.from({ length: 500 }, (_, i) => ({
      ...base,
      executionId: `0190a5b2-7c3d-7e4f-8a1b-${String(i).padStart(12, '0')}`,
      attempt: 1 + (i % 3),
      subtask: { parentExecutionId: base.executionId, position: i + 1, payload: `"item-${i}"` },
    }));
    const message: ServerMessage = { kind: 'dispatchBatch', dispatches };
    expect(written(message)?.equals(protobufjs(message))).toBe(true);
    // What a server's stream writes.
    expect(serializeServerMessage(message).equals(protobufjs(message))).toBe(true);
  });

  it('leaves other messages, and values it does not write, to protobufjs', () => {
    const cancel: ServerMessage = {
      kind: 'cancel',
      executionId: base.executionId,
      attempt: 1,
      reason: 'requested',
      message: 'm',
    };
    expect(written(cancel)).toBeUndefined();
    expect(serializeServerMessage(cancel).equals(protobufjs(cancel))).toBe(true);
    // A negative attempt: never sent (the checks refuse it), but what protobufjs would write.
    const wire = encodeServerMessage({ kind: 'dispatchBatch', dispatches: [base] });
    const odd = {
      dispatchBatch: { dispatches: [{ ...wire.dispatchBatch?.dispatches?.[0], attempt: -1 }] },
    } satisfies WireServerMessage;
    expect(writeDispatchBatch(odd, causes)).toBeUndefined();
    expect(writeDispatchBatch({ ...wire, cancel: {} }, causes)).toBeUndefined();
  });

  // A field added to the contract must be written too, or dispatches would silently lose it.
  it('knows every field of the messages it writes, by number and kind', () => {
    const proto = loadDispatcherProto();
    const fieldsOf = (type: object): Record<string, number> => {
      const { field } = type as { field: ReadonlyArray<{ name: string; number: number }> };
      return Object.fromEntries(field.map((f) => [f.name, f.number]));
    };
    expect(fieldsOf(proto.DispatchBatch.type)).toEqual(DISPATCH_BATCH_FIELDS.DispatchBatch);
    expect(fieldsOf(proto.Dispatch.type)).toEqual(DISPATCH_BATCH_FIELDS.Dispatch);
    expect(fieldsOf(proto.SubtaskOrder.type)).toEqual(DISPATCH_BATCH_FIELDS.SubtaskOrder);
    expect(fieldsOf(proto.ReduceOrder.type)).toEqual(DISPATCH_BATCH_FIELDS.ReduceOrder);
    expect(fieldsOf(proto.ShardOrder.type)).toEqual(DISPATCH_BATCH_FIELDS.ShardOrder);
    expect(fieldsOf(proto.ServerMessage.type)['dispatchBatch']).toBe(
      DISPATCH_BATCH_FIELDS.ServerMessage.dispatchBatch,
    );
  });
});
