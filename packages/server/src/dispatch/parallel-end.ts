import type { Subtask, SubtaskState } from '@carillon/core';

/** How a parallel execution ends, and why in words (null when all went well). */
export interface ParallelEnd {
  readonly state: 'succeeded' | 'failed' | 'partially_failed';
  readonly reason: string | null;
}

/**
 * The end rule of a parallel execution, from its subtasks' counts by state: every subtask
 * succeeded (or there were none) → `succeeded`; none succeeded → `failed`; some did →
 * `partially_failed`. Null while some subtask has not ended.
 */
export function endState(counts: ReadonlyMap<SubtaskState, number>): ParallelEnd | null {
  let total = 0;
  for (const [state, n] of counts) {
    if (state === 'pending' || state === 'dispatched' || state === 'running') {
      if (n > 0) return null;
    }
    total += n;
  }
  const succeeded = counts.get('succeeded') ?? 0;
  if (succeeded === total) return { state: 'succeeded', reason: null };
  const unsuccessful = `${total - succeeded} of ${total} subtasks did not succeed`;
  if (succeeded === 0) return { state: 'failed', reason: unsuccessful };
  return { state: 'partially_failed', reason: unsuccessful };
}

/** The reduce step's input: every subtask's end, in position order (see ReduceOrder.results). */
export function reduceInput(subtasks: readonly Subtask[]): string {
  return JSON.stringify(
    subtasks.map((s) => ({
      item: s.payload,
      outcome: s.state,
      result: s.result,
      reason: s.reason,
    })),
  );
}
