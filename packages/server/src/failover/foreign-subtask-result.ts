import type { ExecutionStore, JobStore, Logger, SubtaskStore } from '@carillon/core';
import { ExecutionState, SubtaskState, shouldRetry, subtaskRetryPolicy } from '@carillon/core';
import type { ResultReport } from '@carillon/protocol';

/** What {@link recordForeignSubtaskResult} works with. */
export interface ForeignSubtaskResultOptions {
  /** This server, for the log. */
  readonly serverId: string;
  readonly executions: Pick<ExecutionStore, 'get'>;
  readonly subtasks: Pick<SubtaskStore, 'get' | 'transition'>;
  readonly jobs: Pick<JobStore, 'get'>;
  readonly logger: Logger;
}

const IN_FLIGHT = [SubtaskState.Dispatched, SubtaskState.Running] as const;
const UNFINISHED = [
  ExecutionState.Claimed,
  ExecutionState.Dispatched,
  ExecutionState.Running,
] as const;
// One more read and try when the execution changed owner between the read and the write (the
// adoption landed meanwhile): the Result is then recorded under the adopter's fence.
const TRIES = 2;

/**
 * The subtask counterpart of `recordForeignResult`: a client whose stream to the server that
 * dispatched a subtask broke (that server died, say) sends the subtask's Result to another
 * server of the group, which does not drive the subtask: the execution is not adopted yet, or
 * was adopted by a third server, or by this one, which has not resumed it yet. Call it only for
 * a subtask this server's dispatcher has not sent (it handles its own). The outcome is recorded
 * under the subtask's fence: the execution's owner as stored, the subtask's attempt, still
 * dispatched or running on this very client. The owner, or the server adopting the execution,
 * then finds the subtask done instead of running it again. A failure the job would retry, and a
 * cancelled subtask, are left to the owner's policy. Returns whether the outcome was written.
 */
export async function recordForeignSubtaskResult(
  o: ForeignSubtaskResultOptions,
  client: { readonly clientId: string; readonly groupId: string },
  report: ResultReport,
): Promise<boolean> {
  if (report.outcome === 'cancelled') return false;
  for (let i = 0; i < TRIES; i++) {
    const subtask = await o.subtasks.get(report.executionId);
    if (
      subtask === undefined ||
      subtask.attempt !== report.attempt ||
      subtask.clientId !== client.clientId ||
      !IN_FLIGHT.includes(subtask.state as (typeof IN_FLIGHT)[number])
    )
      return false;
    const execution = await o.executions.get(subtask.executionId);
    if (
      execution === undefined ||
      execution.ownerServerId === null ||
      execution.groupId !== client.groupId ||
      // Claimed or dispatched: its adopter took it and is resuming it; the subtask is its own.
      !UNFINISHED.includes(execution.state as (typeof UNFINISHED)[number])
    )
      return false;
    const job = await o.jobs.get(execution.jobId);
    if (job === undefined) return false;
    const failed = report.outcome === 'failed' || report.outcome === 'timed_out';
    if (
      failed &&
      shouldRetry(subtaskRetryPolicy(job), subtask.attempt, report.error?.retryable !== false)
    )
      return false;
    const written = await o.subtasks.transition(
      {
        id: subtask.id,
        from: IN_FLIGHT,
        ownerServerId: execution.ownerServerId,
        attempt: subtask.attempt,
        clientId: client.clientId,
      },
      report.outcome,
      {
        result: report.result,
        reason: report.error === null ? null : `${report.error.type}: ${report.error.message}`,
        finishedAt: report.at,
      },
    );
    if (written) {
      o.logger.info(
        {
          executionId: execution.id,
          subtaskId: subtask.id,
          ownerServerId: execution.ownerServerId,
          outcome: report.outcome,
        },
        'recorded a subtask result sent here for a subtask this server did not send',
      );
      return true;
    }
  }
  return false;
}
