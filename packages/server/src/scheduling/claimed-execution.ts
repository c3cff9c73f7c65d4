import type { Execution, FireClaim } from '@carillon/core';
import { ExecutionState } from '@carillon/core';

/** The execution a won claim became: `claimed`, owned by `serverId`, attempt 1. */
export function claimedExecution(claim: FireClaim, serverId: string, nowMs: number): Execution {
  return {
    id: claim.id,
    jobId: claim.jobId,
    groupId: claim.groupId,
    scheduledAt: claim.scheduledAt,
    cause: claim.cause,
    state: ExecutionState.Claimed,
    ownerServerId: serverId,
    attempt: 1,
    param: claim.param,
    clientId: null,
    createdAt: nowMs,
    dispatchedAt: null,
    startedAt: null,
    finishedAt: null,
    result: null,
    reason: null,
    progress: null,
    cancelRequestedAt: null,
  };
}
