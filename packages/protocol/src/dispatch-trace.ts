import type { ServerMessage } from './server-message.js';

/** The W3C Trace Context `traceparent` form: version, trace id, parent span id, flags. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** True for a well-formed `traceparent` (what a dispatch may carry). */
export function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && TRACEPARENT.test(value);
}

/** The trace context of an execution's fire on this server, or undefined when not traced. */
export type DispatchTraceparent = (executionId: string) => string | undefined;

// Provided per listening port, like the health check: the server's tracing does not own the
// gRPC server that sends the dispatches.
const provided = new Map<number, DispatchTraceparent>();

/**
 * Makes the dispatcher server bound to `port` (in this process) add `traceparent` to each
 * dispatch it sends, from `lookup`. Returns how to withdraw it.
 */
export function provideDispatchTraceparent(port: number, lookup: DispatchTraceparent): () => void {
  provided.set(port, lookup);
  return () => {
    if (provided.get(port) === lookup) provided.delete(port);
  };
}

/** Adds trace contexts to the dispatches of `message`, for a server listening on `ports`. */
export function withTraceparents(message: ServerMessage, ports: Iterable<number>): ServerMessage {
  if (message.kind !== 'dispatchBatch') return message;
  let lookup: DispatchTraceparent | undefined;
  for (const port of ports) lookup ??= provided.get(port);
  if (lookup === undefined) return message;
  const find = lookup;
  return {
    ...message,
    dispatches: message.dispatches.map((order) => {
      if (order.traceparent !== undefined) return order;
      const traceparent = find(order.executionId);
      return traceparent === undefined ? order : { ...order, traceparent };
    }),
  };
}
