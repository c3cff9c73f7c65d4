import { describe, expect, it } from 'vitest';
import { serializeServerMessage } from './dispatcher-service.js';
import type { DispatchOrder } from './server-message.js';
import { estimateDispatchBytes, splitDispatches } from './split-dispatches.js';

function order(i: number, param: string | null): DispatchOrder {
  return {
    executionId: `0190a5b2-7c3d-7e4f-8a1b-${String(i).padStart(12, '0')}`,
    attempt: 2_147_483_647,
    jobId: Number.MAX_SAFE_INTEGER,
    jobName: `job ${i} 🔔`,
    handler: 'simple-test',
    param,
    scheduledAt: Number.MAX_SAFE_INTEGER,
    timeoutMs: Number.MAX_SAFE_INTEGER,
    cause: 'schedule',
  };
}

describe('splitDispatches', () => {
  it('keeps small batches whole', () => {
    const orders = Array.from({ length: 1_000 }, (_, i) => order(i, 'TestParam'));
    expect(splitDispatches(orders)).toEqual([orders]);
  });

  it('keeps every encoded batch under the limit, in order, losing nothing', () => {
    const orders = Array.from({ length: 200 }, (_, i) => order(i, 'x'.repeat((i % 7) * 10_000)));
    const maxBytes = 100_000;
    const batches = splitDispatches(orders, maxBytes);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toEqual(orders);
    for (const dispatches of batches) {
      const bytes = serializeServerMessage({ kind: 'dispatchBatch', dispatches }).length;
      expect(bytes).toBeLessThanOrEqual(maxBytes);
    }
  });

  it('keeps whole a batch that fits by the bound on its string lengths, and it fits', () => {
    // 🔔 is two UTF-16 units and four UTF-8 bytes, é one unit and two bytes: the bound of
    // three bytes a unit holds for both.
    const orders = Array.from({ length: 40 }, (_, i) => order(i, '🔔é'.repeat(300)));
    const encoded = serializeServerMessage({ kind: 'dispatchBatch', dispatches: orders }).length;
    const batches = splitDispatches(orders, encoded + 40 * 1_000);
    expect(batches).toEqual([orders]);
    expect(splitDispatches(orders, encoded).flat()).toEqual(orders);
  });

  it('sends an order larger than the limit alone', () => {
    const big = order(1, 'x'.repeat(5_000));
    const batches = splitDispatches([order(0, null), big, order(2, null)], 1_000);
    expect(batches).toEqual([[order(0, null)], [big], [order(2, null)]]);
  });

  it('never underestimates an encoded dispatch', () => {
    for (const param of [null, '', 'é'.repeat(300), 'x'.repeat(70_000)]) {
      const one = order(0, param);
      const encoded = serializeServerMessage({ kind: 'dispatchBatch', dispatches: [one] }).length;
      expect(estimateDispatchBytes(one)).toBeGreaterThanOrEqual(encoded - 16);
    }
  });
});
