import { describe, expect, it } from 'vitest';
import type { ClientMessage, ClientReport } from './client-message.js';
import {
  decodeClientMessages,
  encodeClientReport,
  encodeReportBatch,
} from './client-message-codec.js';
import { dispatcherServiceDefinition } from './dispatcher-service.js';
import { ProtocolErrorCode } from './errors.js';
import type { Decoded } from './errors.js';
import type { ClientMessage as WireClientMessage } from './generated/carillon/v1/ClientMessage.js';
import { ReportBatcher, estimateReportBytes } from './report-batcher.js';

const ID = '0190a5b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b';
const method = dispatcherServiceDefinition().Connect;

/** Wire → protobuf bytes → wire → domain messages, through the codec gRPC uses. */
function overTheWire(wire: WireClientMessage): Decoded<ClientMessage>[] {
  return decodeClientMessages(method.requestDeserialize(method.requestSerialize(wire)));
}

const reports: readonly ClientReport[] = [
  { kind: 'accepted', executionId: ID, attempt: 1 },
  { kind: 'started', executionId: ID, attempt: 1, at: 1_767_225_600_000 },
  {
    kind: 'log',
    executionId: ID,
    attempt: 1,
    at: 1_767_225_600_001,
    level: 'info',
    message: '世界',
  },
  { kind: 'progress', executionId: ID, attempt: 1, at: 2, fraction: 0.5, message: null },
  { kind: 'refused', executionId: `${ID}-b`, attempt: 3, reason: 'stopping', message: 'bye' },
  {
    kind: 'result',
    executionId: ID,
    attempt: 1,
    at: 3,
    outcome: 'failed',
    result: null,
    error: { type: 'Error', message: 'boom', stack: 'at x', retryable: false },
  },
];

describe('ReportBatch', () => {
  it('carries reports of every kind, in order, to the same domain values', () => {
    const decoded = overTheWire(encodeReportBatch(reports.map(encodeClientReport)));
    expect(decoded).toEqual(reports.map((message) => ({ ok: true, message })));
  });

  it('drops a malformed report alone and keeps its neighbours', () => {
    const [first, , third] = reports.map(encodeClientReport);
    const broken = { started: { executionId: '', attempt: 1, atMs: 5 } };
    const decoded = overTheWire(encodeReportBatch([first!, broken, third!]));
    expect(decoded.map((d) => d.ok)).toEqual([true, false, true]);
    const bad = decoded[1];
    if (bad?.ok !== false) throw new Error('expected the middle report to be rejected');
    expect(bad.error.code).toBe(ProtocolErrorCode.Malformed);
    expect(bad.error.details['field']).toBe('started.execution_id');
  });

  it('rejects an empty batch as malformed', () => {
    const decoded = overTheWire({ reportBatch: { reports: [] } });
    expect(decoded).toHaveLength(1);
    expect(decoded[0]?.ok).toBe(false);
    if (decoded[0]?.ok === false) expect(decoded[0].error.code).toBe(ProtocolErrorCode.Malformed);
  });
});

describe('ReportBatcher', () => {
  const started = (i: number): ClientReport => ({
    kind: 'started',
    executionId: `${ID}-${i}`,
    attempt: 1,
    at: i,
  });

  it('sends a lone report as itself and several as one batch', () => {
    const batcher = new ReportBatcher();
    batcher.add(started(1), encodeClientReport(started(1)));
    expect(batcher.take()).toEqual([encodeClientReport(started(1))]);
    expect(batcher.empty).toBe(true);
    for (const i of [1, 2, 3]) batcher.add(started(i), encodeClientReport(started(i)));
    const messages = batcher.take();
    expect(messages).toHaveLength(1);
    expect(overTheWire(messages[0]!).map((d) => d.ok && d.message)).toEqual([
      started(1),
      started(2),
      started(3),
    ]);
  });

  it('cuts batches, in order, so that none exceeds the size and each encodes under it', () => {
    const big: ClientReport = {
      kind: 'result',
      executionId: ID,
      attempt: 1,
      at: 1,
      outcome: 'succeeded',
      result: 'é'.repeat(10_000),
      error: null,
    };
    const maxBytes = 3 * estimateReportBytes(big);
    const batcher = new ReportBatcher(maxBytes);
    for (let i = 0; i < 10; i += 1) batcher.add(big, encodeClientReport(big));
    const messages = batcher.take();
    expect(messages).toHaveLength(4);
    for (const message of messages)
      expect(method.requestSerialize(message).length).toBeLessThanOrEqual(maxBytes);
    const decoded = messages.flatMap(overTheWire);
    expect(decoded).toHaveLength(10);
    expect(decoded.every((d) => d.ok)).toBe(true);
  });

  it('lets a report larger than the size travel alone', () => {
    const batcher = new ReportBatcher(10);
    batcher.add(started(1), encodeClientReport(started(1)));
    batcher.add(started(2), encodeClientReport(started(2)));
    expect(batcher.take()).toEqual([started(1), started(2)].map(encodeClientReport));
  });
});
