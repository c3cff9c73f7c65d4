import type { DispatchOrder } from '@carillon/protocol';
import type { DispatchRun, ExecutionContext } from './execution-context.js';
import { NonRetryableError } from './non-retryable-error.js';

/** What `process` knows about the subtask it runs, besides its execution's context. */
export interface SubtaskContext extends ExecutionContext {
  /** The subtask's id: the same on every attempt of it (an idempotency key with `attempt`). */
  readonly subtaskId: string;
  /** The item's position among the execution's items, from 1. */
  readonly position: number;
}

/** One subtask's end, as `reduce` sees it. */
export interface SubtaskResult {
  /** The item `dispatch` produced. */
  readonly item: unknown;
  readonly outcome: 'succeeded' | 'failed' | 'timed_out' | 'cancelled';
  /** What `process` returned, as text (a string as it is, anything else as JSON); or null. */
  readonly result: string | null;
  /** Why it failed, in words; null when it succeeded. */
  readonly reason: string | null;
}

/**
 * A parallel job's handler, in two levels: `dispatch` runs on one client and produces items;
 * the server persists one subtask per item and spreads them over every client of the group that
 * registered this handler, where `process` runs each; `reduce`, if given, runs once on one client
 * after every subtask ended, and its return is the execution's result.
 */
export interface ParallelJobHandler<Item = unknown> {
  readonly kind: 'parallel';
  /**
   * How many handler calls (`dispatch`, `process` or `reduce`) run at once on this client.
   * Default 1.
   */
  readonly concurrency?: number;
  /**
   * Produces the items: an array, or an (async) iterable that yields them in chunks for large
   * fan-outs. Each item is a string or a JSON value.
   */
  dispatch(ctx: ExecutionContext): Iterable<Item> | AsyncIterable<Item> | Promise<Iterable<Item>>;
  /** Processes one item; the return is the subtask's result. Throw to fail it (it may be retried). */
  process(item: Item, ctx: SubtaskContext): unknown;
  /** Sees every subtask's end once, in item order; its return is the execution's result. */
  reduce?(results: SubtaskResult[], ctx: ExecutionContext): unknown;
}

/** Items per SubtaskChunk report. */
const CHUNK_ITEMS = 1_000;

/** True when `handler` is a parallel job's handler. */
export function isParallel(handler: unknown): handler is ParallelJobHandler {
  return (handler as { kind?: unknown } | null)?.kind === 'parallel';
}

/** What the first level's Result says (JSON): how many items it produced, and whether a reduce follows. */
export interface DispatchSummary {
  readonly subtasks: number;
  readonly reduce: boolean;
}

/**
 * What runs one dispatch of a parallel job: `process` for a subtask order, `reduce` for a reduce
 * order (both with the parent execution's id in their context), else `dispatch`, whose items go
 * out in chunks through `sendChunk` before its Result.
 */
export function phaseHandler(
  handler: ParallelJobHandler,
  order: DispatchOrder,
  sendChunk: (firstPosition: number, payloads: string[]) => void,
): DispatchRun {
  const { subtask, reduce } = order;
  if (subtask !== undefined) {
    return {
      ids: {
        executionId: subtask.parentExecutionId,
        subtaskId: order.executionId,
        position: subtask.position,
      },
      execute: (ctx) =>
        handler.process(JSON.parse(subtask.payload) as unknown, ctx as SubtaskContext),
    };
  }
  if (reduce !== undefined) {
    return {
      ids: { executionId: reduce.parentExecutionId },
      execute: (ctx) => {
        const results = JSON.parse(reduce.results) as {
          -readonly [K in keyof SubtaskResult]: SubtaskResult[K];
        }[];
        // Each item is JSON text inside the JSON, parsed in place: a copy as `{ ...r, item }`
        // costs V8 (Node 20) some 15 µs a result, an object spread followed by properties.
        for (const r of results) r.item = JSON.parse(r.item as string) as unknown;
        return handler.reduce?.(results, ctx);
      },
    };
  }
  return {
    async execute(ctx): Promise<DispatchSummary> {
      let position = 1;
      let chunk: string[] = [];
      const flush = (): void => {
        if (chunk.length === 0) return;
        sendChunk(position, chunk);
        position += chunk.length;
        chunk = [];
      };
      const items = await handler.dispatch(ctx);
      for await (const item of items as AsyncIterable<unknown>) {
        ctx.signal.throwIfAborted();
        const text = JSON.stringify(item) as string | undefined;
        if (text === undefined)
          throw new NonRetryableError(`item ${position + chunk.length} is not a JSON value`);
        chunk.push(text);
        if (chunk.length >= CHUNK_ITEMS) flush();
      }
      flush();
      return { subtasks: position - 1, reduce: typeof handler.reduce === 'function' };
    },
  };
}
