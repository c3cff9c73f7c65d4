import type { Job } from '@carillon/core';

/**
 * The jobs this server holds, by id: what the scheduler fires and the dispatcher routes.
 * Replaced group by group when the console announces a change.
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
}
