import type { Execution, Job } from '@carillon/core';
import { ExecutionState } from '@carillon/core';
import type { DispatchParts } from './dispatch-parts.js';
import { IN_FLIGHT } from './execution-recorder.js';

/**
 * Overlap policy state that outlives a change of owner. The guard knows the executions this
 * server routed; a server that has just taken a job over (a standby claiming in a dead preferred
 * holder's place, or a new preferred holder) would not know that the previous owner's execution
 * still runs on its client. So, once per job after each change of membership, before the first
 * overlap decision, the job's in-flight executions owned by other servers are read from the store
 * and held in the guard; a sweep releases them when they end (and routes a fire that waited for
 * them, under `queue_one`).
 */
export class ForeignOverlap {
  readonly #p: DispatchParts;
  readonly #seeded = new Set<number>();
  /** Other servers' in-flight executions held in the guard: id to job id. */
  readonly #held = new Map<string, number>();

  constructor(parts: DispatchParts) {
    this.#p = parts;
  }

  /** Reads the job's in-flight executions of other owners into the guard, once per job. */
  async seed(job: Job, current: Execution): Promise<void> {
    if (this.#seeded.has(job.id) || job.overlap === 'allow' || current.cause === 'manual') return;
    const { o, guard } = this.#p;
    const running = await o.executions.listByJobAndStates(job.id, [
      ExecutionState.Dispatched,
      ExecutionState.Running,
    ]);
    this.#seeded.add(job.id);
    for (const e of running) {
      if (e.id === current.id || e.ownerServerId === o.serverId) continue;
      guard.begin(job.id, e.id);
      this.#held.set(e.id, job.id);
    }
  }

  /** True when the guard holds `executionId` as another server's execution. */
  holds(executionId: string): boolean {
    return this.#held.has(executionId);
  }

  /** Lets go of another server's execution known to have ended. */
  release(jobId: number, executionId: string): void {
    if (this.#held.delete(executionId)) this.#p.guard.end(jobId, executionId);
  }

  /**
   * Membership changed (or, for `jobIds`, this server stood in for their preferred holder,
   * which may have run them meanwhile): their foreign executions are read again before their
   * next fire.
   */
  forget(jobIds?: readonly number[]): void {
    if (jobIds === undefined) this.#seeded.clear();
    else for (const id of jobIds) this.#seeded.delete(id);
  }

  /**
   * Releases the held executions that ended (or that this server now owns: its own routing
   * tracks them); `route` gets a fire that waited for one.
   */
  async sweep(route: (queued: Execution, job: Job) => void): Promise<void> {
    const { o, guard } = this.#p;
    for (const [id, jobId] of [...this.#held]) {
      const stored = await o.executions.get(id);
      if (stored !== undefined && stored.ownerServerId === o.serverId) {
        this.#held.delete(id);
        continue;
      }
      if (stored !== undefined && IN_FLIGHT.includes(stored.state)) continue;
      this.#held.delete(id);
      const queued = guard.end(jobId, id);
      const job = o.jobOf(jobId);
      if (queued !== undefined && job !== undefined) route(queued, job);
    }
  }
}
