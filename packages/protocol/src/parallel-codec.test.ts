import { describe, expect, it } from 'vitest';
import type { ClientMessage } from './client-message.js';
import {
  deserializeClientMessage,
  deserializeServerMessage,
  serializeClientMessage,
  serializeServerMessage,
} from './dispatcher-service.js';
import { ProtocolErrorCode } from './errors.js';
import type { ServerMessage } from './server-message.js';

const ID = '0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b';
const SUBTASK = '5a3c1f7e-2b4d-5e6f-8a1b-2c3d4e5f6a7b';

const base = {
  attempt: 2,
  jobId: 2,
  jobName: 'parallel task test',
  handler: 'parallel-test',
  param: 'TestParam',
  scheduledAt: 1_767_225_600_000,
  timeoutMs: 0,
  cause: 'schedule',
} as const;

describe('parallel jobs on the wire', () => {
  it('a chunk of items survives the codec, alone and in a report batch', () => {
    const chunk: ClientMessage = {
      kind: 'subtaskChunk',
      executionId: ID,
      attempt: 1,
      firstPosition: 1001,
      payloads: ['"item-1000"', '{"n":1}', '"Grüße 🔔"'],
    };
    const decoded = deserializeClientMessage(serializeClientMessage(chunk));
    expect(decoded.ok && decoded.message).toStrictEqual(chunk);
  });

  it('refuses a chunk without items or with position 0', () => {
    for (const bad of [
      { firstPosition: 1, payloads: [] },
      { firstPosition: 0, payloads: ['"x"'] },
    ]) {
      expect(() =>
        serializeClientMessage({ kind: 'subtaskChunk', executionId: ID, attempt: 1, ...bad }),
      ).toThrow(expect.objectContaining({ code: ProtocolErrorCode.InvalidOutgoing }) as Error);
    }
  });

  it('subtask and reduce dispatches survive the codec unchanged', () => {
    const message: ServerMessage = {
      kind: 'dispatchBatch',
      dispatches: [
        {
          ...base,
          executionId: SUBTASK,
          subtask: { parentExecutionId: ID, position: 7, payload: '"item-6"' },
        },
        {
          ...base,
          executionId: SUBTASK,
          reduce: { parentExecutionId: ID, results: '[]' },
        },
        { ...base, executionId: ID },
      ],
    };
    const decoded = deserializeServerMessage(serializeServerMessage(message));
    expect(decoded.ok && decoded.message).toStrictEqual(message);
  });
});
