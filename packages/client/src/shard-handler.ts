import type { DispatchOrder } from '@carillon/protocol';
import type { DispatchRun } from './execution-context.js';
import type { JobHandler } from './job-handler.js';
import { NonRetryableError } from './non-retryable-error.js';
import { isParallel } from './parallel-handler.js';
import type { ParallelJobHandler } from './parallel-handler.js';

/**
 * What runs a dispatch of a simple handler: the handler as it is, or, for one shard of a sharded
 * job (or one share of a broadcast fire), with `ctx.shard` set and `ctx.executionId` naming the
 * fire's execution (`ctx.subtaskId` the shard's own id, the one its reports carry).
 */
export function shardHandler(
  handler: JobHandler | ParallelJobHandler,
  order: DispatchOrder,
): DispatchRun {
  const { shard } = order;
  if (isParallel(handler)) {
    // A sharded job whose handler name this client registered for a parallel job: the job
    // would be run as something it is not.
    return {
      execute: () => {
        throw new NonRetryableError(
          `handler "${order.handler}" is registered for parallel jobs; a shard runs a simple handler`,
        );
      },
    };
  }
  if (shard === undefined) return handler;
  return {
    ids: {
      executionId: shard.parentExecutionId,
      subtaskId: order.executionId,
      shard: { index: shard.index, count: shard.count, param: shard.param },
    },
    execute: (ctx) => handler.execute(ctx),
  };
}
