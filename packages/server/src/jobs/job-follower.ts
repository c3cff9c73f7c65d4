import type { ExecutionStore, Job, JobStore, Logger } from '@carillon/core';
import type { DatabaseHealth } from '../database/database-health.js';
import { logTaskFailure } from '../database/database-health.js';
import type { ServerEventBus } from '../events.js';
import type { HeldJobs } from '../scheduling/held-jobs.js';
import type { Scheduler } from '../scheduling/scheduler.js';

/** Settings of a {@link JobFollower}. */
export interface JobFollowerOptions {
  readonly serverId: string;
  readonly jobs: JobStore;
  readonly executions: ExecutionStore;
  readonly held: HeldJobs;
  readonly scheduler: Scheduler;
  readonly events: ServerEventBus;
  readonly health: DatabaseHealth;
  readonly logger: Logger;
  /**
   * Called with the jobs just written, before they are scheduled: gives holders to those that
   * need them (the holder leader does) and returns how many it changed.
   */
  readonly assignHolders: (jobs: readonly Job[]) => Promise<number>;
  /**
   * Called with the jobs this server starts holding while it runs (new jobs, or jobs newly
   * assigned to it), once they are scheduled. Default: nothing.
   */
  readonly newlyHeld?: (jobs: readonly Job[]) => Promise<void>;
}

/**
 * Keeps the jobs this server holds, and their schedules, in line with the job table: loads
 * them once, then follows the job writes since the last look.
 */
export class JobFollower {
  readonly #o: JobFollowerOptions;
  #seq = 0;
  #following: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  constructor(options: JobFollowerOptions) {
    this.#o = options;
  }

  /** Loads every job this server holds; from then on, changes are followed. */
  async load(): Promise<void> {
    // The sequence is read first: a change made during the load is then seen again, harmlessly.
    this.#seq = await this.#o.jobs.changeSeq();
    const jobs = await this.#o.jobs.listByHolder(this.#o.serverId);
    await this.#schedule(this.#o.held.replaceAll(jobs));
  }

  /**
   * Brings the held jobs in line with the job writes since the last look: one indexed read
   * that finds nothing most of the time, however many jobs the server holds. Notices that
   * arrive while it runs are folded into one more look after it.
   */
  follow(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    const next = this.#following
      .then(async () => {
        this.#queued = undefined;
        for (;;) {
          const { jobs, seq } = await this.#o.health.watch(() =>
            this.#o.jobs.listChangedSince(this.#seq),
          );
          this.#seq = seq;
          if (jobs.length === 0) return;
          // New jobs have no holders while no server was known to the console.
          const reassigned = await this.#o.assignHolders(jobs);
          const applied = this.#o.held.apply(jobs, this.#o.serverId);
          await this.#schedule(applied);
          // Not waited for: following the next changes must not queue behind these reads.
          if (applied.added.length > 0) void this.#o.newlyHeld?.(applied.added);
          // The reassignments are job writes of their own: look again to pick them up.
          if (reassigned === 0) return;
        }
      })
      .catch((error: unknown) =>
        logTaskFailure(this.#o.health, this.#o.logger, error, 'following job changes failed'),
      );
    this.#queued = next;
    this.#following = next;
    return next;
  }

  async #schedule(held: { removed: number[]; changed: Job[] }): Promise<void> {
    const { removed, changed } = held;
    if (removed.length === 0 && changed.length === 0) return;
    const lastFired =
      changed.length === 0
        ? new Map<number, number>()
        : await this.#o.executions.lastScheduledAt(changed.map((j) => j.id));
    this.#o.scheduler.update(changed, removed, lastFired);
    this.#o.events.emit('jobs:loaded', { count: this.#o.held.size });
  }
}
