import type { Execution, Job } from '@carillon/core';

/** What the overlap policy says about a new fire. */
export type OverlapDecision =
  | { readonly action: 'run' }
  | { readonly action: 'skip'; readonly reason: string }
  | { readonly action: 'queue' }
  | { readonly action: 'cancel_previous'; readonly previous: readonly string[] };

/**
 * Applies each job's overlap policy: knows which executions of a job are in flight on this
 * server and keeps at most one fire waiting per job for `queue_one`.
 */
export class OverlapGuard {
  readonly #inFlight = new Map<number, Set<string>>();
  readonly #queued = new Map<number, Execution>();

  decide(job: Job, execution: Execution): OverlapDecision {
    const running = [...(this.#inFlight.get(job.id) ?? [])].filter((id) => id !== execution.id);
    // Manual fires run whatever the policy: a user who presses "run now" means it.
    if (running.length === 0 || execution.cause === 'manual') return { action: 'run' };
    switch (job.overlap) {
      case 'allow':
        return { action: 'run' };
      case 'skip':
        return {
          action: 'skip',
          reason: `overlap policy skip: execution ${running[0]} still running`,
        };
      case 'queue_one':
        if (this.#queued.has(job.id)) {
          return { action: 'skip', reason: 'overlap policy queue_one: a fire is already waiting' };
        }
        this.#queued.set(job.id, execution);
        return { action: 'queue' };
      case 'cancel_previous':
        return { action: 'cancel_previous', previous: running };
    }
  }

  /** Marks an execution as in flight (routed to a client). */
  begin(jobId: number, executionId: string): void {
    let set = this.#inFlight.get(jobId);
    if (set === undefined) {
      set = new Set();
      this.#inFlight.set(jobId, set);
    }
    set.add(executionId);
  }

  /** Marks an execution as ended; returns the fire that waited for it, if any. */
  end(jobId: number, executionId: string): Execution | undefined {
    const set = this.#inFlight.get(jobId);
    set?.delete(executionId);
    if (set !== undefined && set.size > 0) return undefined;
    this.#inFlight.delete(jobId);
    const queued = this.#queued.get(jobId);
    this.#queued.delete(jobId);
    return queued;
  }
}
