import type { Execution, Stores, SubtaskState } from '@carillon/core';
import { JobKind } from '@carillon/core';

/** An execution's subtasks counted by state, as the API answers them. */
export interface SubtaskProgress {
  readonly total: number;
  readonly pending: number;
  readonly dispatched: number;
  readonly running: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly cancelled: number;
}

// The API's camel-case name of each subtask state.
const FIELD_OF: Readonly<Record<SubtaskState, Exclude<keyof SubtaskProgress, 'total'>>> = {
  pending: 'pending',
  dispatched: 'dispatched',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  timed_out: 'timedOut',
  cancelled: 'cancelled',
};

/**
 * The subtask counts of `execution` (one grouped query), or null when it is not an execution of
 * a parallel or sharded job and has no subtasks. Such an execution shows zeros before its
 * subtasks (items, shards) are stored, so that the page knows to expect them; a broadcast fire's
 * shares show once stored; an execution that has
 * subtasks shows them even if its job has since been changed to another kind.
 */
export async function subtaskProgressOf(
  stores: Pick<Stores, 'jobs' | 'subtasks'>,
  execution: Execution,
): Promise<SubtaskProgress | null> {
  const [job, counts] = await Promise.all([
    stores.jobs.get(execution.jobId),
    stores.subtasks.countByState(execution.id),
  ]);
  const progress = {
    total: 0,
    pending: 0,
    dispatched: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    cancelled: 0,
  };
  for (const [state, n] of counts) {
    progress[FIELD_OF[state]] += n;
    progress.total += n;
  }
  if (progress.total === 0 && job?.kind !== JobKind.Parallel && job?.kind !== JobKind.Sharded)
    return null;
  return progress;
}
