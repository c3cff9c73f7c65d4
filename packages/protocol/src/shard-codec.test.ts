import { describe, expect, it } from 'vitest';
import { deserializeServerMessage, serializeServerMessage } from './dispatcher-service.js';
import { ProtocolErrorCode } from './errors.js';
import type { ServerMessage } from './server-message.js';

const ID = '0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b';
const SHARD = '5a3c1f7e-2b4d-5e6f-8a1b-2c3d4e5f6a7b';

const base = {
  executionId: SHARD,
  attempt: 1,
  jobId: 3,
  jobName: 'sharded task test',
  handler: 'sharded-test',
  param: null,
  scheduledAt: 1_767_225_600_000,
  timeoutMs: 0,
  cause: 'schedule',
} as const;

describe('shards on the wire', () => {
  it('a shard dispatch survives the codec, with and without its param', () => {
    const message: ServerMessage = {
      kind: 'dispatchBatch',
      dispatches: [
        { ...base, shard: { parentExecutionId: ID, index: 0, count: 3, param: 'Beijing' } },
        { ...base, shard: { parentExecutionId: ID, index: 2, count: 3, param: null } },
      ],
    };
    const decoded = deserializeServerMessage(serializeServerMessage(message));
    expect(decoded.ok && decoded.message).toStrictEqual(message);
  });

  it('refuses to send a shard index outside 0..count-1 or a count of 0', () => {
    for (const shard of [
      { parentExecutionId: ID, index: 3, count: 3, param: null },
      { parentExecutionId: ID, index: -1, count: 3, param: null },
      { parentExecutionId: ID, index: 0, count: 0, param: null },
    ]) {
      expect(() =>
        serializeServerMessage({ kind: 'dispatchBatch', dispatches: [{ ...base, shard }] }),
      ).toThrow(expect.objectContaining({ code: ProtocolErrorCode.InvalidOutgoing }) as Error);
    }
  });
});
