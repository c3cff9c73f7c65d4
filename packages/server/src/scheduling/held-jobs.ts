import type { Job } from '@carillon/core';

/**
 * The jobs this server holds, by id: what the scheduler fires and the dispatcher routes.
 * Loaded whole at start, then kept up to date from the job change sequence.
 */
export class HeldJobs {
  readonly #jobs = new Map<number, Job>();

  get(jobId: number): Job | undefined {
    return this.#jobs.get(jobId);
  }

  values(): IterableIterator<Job> {
    return this.#jobs.values();
  }

  get size(): number {
    return this.#jobs.size;
  }

  /** Replaces every job; returns the ids that left and the jobs that are new or changed. */
  replaceAll(jobs: readonly Job[]): { removed: number[]; changed: Job[] } {
    const next = new Map(jobs.map((j) => [j.id, j]));
    const removed = [...this.#jobs.keys()].filter((id) => !next.has(id));
    const changed = jobs.filter((j) => this.#jobs.get(j.id)?.version !== j.version);
    this.#jobs.clear();
    for (const [id, job] of next) this.#jobs.set(id, job);
    return { removed, changed };
  }

  /**
   * Applies jobs written since the last look, whoever holds them: those `serverId` holds (and
   * not deleted) are added or replaced, the others dropped if held. Returns what left and what
   * is new or changed, and of those, the ones not held before (`added`).
   */
  apply(
    jobs: readonly Job[],
    serverId: string,
  ): { removed: number[]; changed: Job[]; added: Job[] } {
    const removed: number[] = [];
    const changed: Job[] = [];
    const added: Job[] = [];
    for (const job of jobs) {
      const held = this.#jobs.get(job.id);
      if (job.status !== 'deleted' && job.holders.includes(serverId)) {
        if (held?.version === job.version) continue;
        this.#jobs.set(job.id, job);
        changed.push(job);
        if (held === undefined) added.push(job);
      } else if (held !== undefined) {
        this.#jobs.delete(job.id);
        removed.push(job.id);
      }
    }
    return { removed, changed, added };
  }
}
