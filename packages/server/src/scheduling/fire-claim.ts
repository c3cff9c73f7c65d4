import type { ExecutionCause, FireClaim, Job } from '@carillon/core';
import { ExecutionState, newExecutionId } from '@carillon/core';

/**
 * The claim of one fire of `job` at `scheduledAt`, with a new execution id made at `nowMs`; a
 * `skippedReason` makes it a claim of a skipped fire (a misfire policy's `skip`).
 */
export function fireClaimOf(
  job: Job,
  scheduledAt: number,
  cause: ExecutionCause,
  nowMs: number,
  skippedReason?: string,
): FireClaim {
  return {
    id: newExecutionId(nowMs),
    jobId: job.id,
    groupId: job.groupId,
    scheduledAt,
    cause,
    param: job.param,
    ...(skippedReason === undefined
      ? {}
      : { state: ExecutionState.Skipped, reason: skippedReason }),
  };
}
