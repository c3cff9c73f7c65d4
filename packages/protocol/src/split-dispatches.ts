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
  // Most batches are far under the limit: a bound from string lengths (UTF-8 takes at most 3
  // bytes per UTF-16 unit) settles them without measuring each string's bytes, which was a
  // visible share of sending a fan-out's subtasks.
  let bound = BATCH_OVERHEAD_BYTES;
  for (const order of orders) bound += boundOf(order, (text) => text.length * 3);
  if (bound <= maxBytes) return orders.length === 0 ? [] : [[...orders]];
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
  return boundOf(order, (text) => Buffer.byteLength(text));
}

/** {@link estimateDispatchBytes} with `bytes` telling (or bounding) each string's bytes. */
function boundOf(order: DispatchOrder, bytes: (text: string) => number): number {
  return (
    DISPATCH_OVERHEAD_BYTES +
    bytes(order.executionId) +
    bytes(order.jobName) +
    bytes(order.handler) +
    (order.param === null ? 0 : bytes(order.param)) +
    (order.subtask === undefined
      ? 0
      : 32 + bytes(order.subtask.parentExecutionId) + bytes(order.subtask.payload)) +
    (order.reduce === undefined
      ? 0
      : 32 + bytes(order.reduce.parentExecutionId) + bytes(order.reduce.results))
  );
}
