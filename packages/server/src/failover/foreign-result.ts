import type { ExecutionStore, JobStore, Logger } from '@carillon/core';
import { ExecutionState, JobKind } from '@carillon/core';
import type { ResultReport } from '@carillon/protocol';

/** What {@link recordForeignResult} works with. */
export interface ForeignResultOptions {
  /** This server: results for executions it owns are the dispatcher's. */
  readonly serverId: string;
  readonly executions: Pick<ExecutionStore, 'get' | 'transition'>;
  readonly jobs: Pick<JobStore, 'get'>;
  readonly logger: Logger;
}

/**
 * A client sends a Result to another server of the group when the stream to the dispatching
 * server broke (that server died, say). This server does not run the execution, but records
 * the outcome under the owner's fence (owner and attempt as stored, still in flight on this
 * very client), so the owner, or the holder adopting its work, finds it finished instead of
 * running it a second time. A failure the owner would retry is left to the owner's policy, and
 * a parallel execution to its owner.
 * Returns whether the outcome was written.
 */
export async function recordForeignResult(
  o: ForeignResultOptions,
  client: { readonly clientId: string; readonly groupId: string },
  report: ResultReport,
): Promise<boolean> {
  const stored = await o.executions.get(report.executionId);
  if (
    stored === undefined ||
    stored.ownerServerId === null ||
    stored.ownerServerId === o.serverId ||
    stored.attempt !== report.attempt ||
    stored.clientId !== client.clientId ||
    stored.groupId !== client.groupId ||
    (stored.state !== ExecutionState.Dispatched && stored.state !== ExecutionState.Running)
  )
    return false;
  const job = await o.jobs.get(stored.jobId);
  if (job === undefined) return false;
  // A parallel execution's own Result ends only its first level (or its reduce): the subtasks
  // still to run are its owner's, or its adopter's, to drive; written here it would end the
  // execution with them pending.
  if (job.kind === JobKind.Parallel) return false;
  if (
    report.outcome === 'failed' &&
    report.error?.retryable !== false &&
    stored.attempt <= job.maxRetries
  )
    return false;
  const written = await o.executions.transition(
    {
      id: stored.id,
      from: [ExecutionState.Dispatched, ExecutionState.Running],
      ownerServerId: stored.ownerServerId,
      attempt: stored.attempt,
      // The client is checked in the write too, not only in the read above: the Result is this
      // client's to record only while the execution is on it (every reroute today also moves
      // the attempt, so this guards the rule, not a path seen to break it).
      clientId: client.clientId,
    },
    report.outcome,
    {
      result: report.result,
      reason: report.error === null ? null : `${report.error.type}: ${report.error.message}`,
      finishedAt: report.at,
    },
  );
  if (written)
    o.logger.info(
      { executionId: stored.id, ownerServerId: stored.ownerServerId, outcome: report.outcome },
      'recorded a result sent here for an execution another server owns',
    );
  return written;
}
