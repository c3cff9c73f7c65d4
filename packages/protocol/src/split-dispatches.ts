import { PROTOCOL_LIMITS } from './protocol-limits.js';
import type { DispatchOrder } from './server-message.js';

// An upper bound of what one Dispatch adds to a batch besides its strings' bytes: its own
// tag and length (6), four string tags and lengths (4 × 6), five varints with tags (5 × 11).
const DISPATCH_OVERHEAD_BYTES = 96;
// The ServerMessage and DispatchBatch wrappers around the list.
const BATCH_OVERHEAD_BYTES = 16;

/**
 * Splits dispatch orders that fall due together into as few batches as keep each encoded
 * DispatchBatch under `maxBytes` (default {@link PROTOCOL_LIMITS.dispatchBatchMaxBytes}), in
 * order. The size is an upper bound computed from string lengths, not an encoding, so it is cheap
 * on the timer path. An order larger than `maxBytes` on its own goes alone in its batch.
 *
 * @example for (const dispatches of splitDispatches(due)) connection.send({ kind: 'dispatchBatch', dispatches });
 */
export function splitDispatches(
  orders: readonly DispatchOrder[],
  maxBytes: number = PROTOCOL_LIMITS.dispatchBatchMaxBytes,
): DispatchOrder[][] {
  const batches: DispatchOrder[][] = [];
  let batch: DispatchOrder[] = [];
  let size = BATCH_OVERHEAD_BYTES;
  for (const order of orders) {
    const orderSize = estimateDispatchBytes(order);
    if (batch.length > 0 && size + orderSize > maxBytes) {
      batches.push(batch);
      batch = [];
      size = BATCH_OVERHEAD_BYTES;
    }
    batch.push(order);
    size += orderSize;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** An upper bound of the encoded size of one Dispatch inside a batch, in bytes. */
export function estimateDispatchBytes(order: DispatchOrder): number {
  return (
    DISPATCH_OVERHEAD_BYTES +
    Buffer.byteLength(order.executionId) +
    Buffer.byteLength(order.jobName) +
    Buffer.byteLength(order.handler) +
    (order.param === null ? 0 : Buffer.byteLength(order.param)) +
    (order.subtask === undefined
      ? 0
      : 32 +
        Buffer.byteLength(order.subtask.parentExecutionId) +
        Buffer.byteLength(order.subtask.payload)) +
    (order.reduce === undefined
      ? 0
      : 32 +
        Buffer.byteLength(order.reduce.parentExecutionId) +
        Buffer.byteLength(order.reduce.results))
  );
}
