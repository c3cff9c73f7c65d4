import type { Clock, Job } from '@carillon/core';
import { FireHeap } from './fire-heap.js';
import type { NextFire } from './next-fire.js';
import { nextFireOf } from './next-fire.js';

/** A cron job under schedule, and how far its instants have been handled. */
export interface ScheduleEntry {
  job: Job;
  next: NextFire;
  generation: number;
  /** The last instant handled (claimed, skipped or missed). */
  cursor: number;
  /** When this scheduler put the job under schedule (its clock). */
  readonly since: number;
}

/**
 * The held cron jobs under schedule, with each one's next instant in a heap: the
 * {@link Scheduler} takes the instants that come due in order and advances each job's cursor.
 */
export class ScheduledJobs {
  readonly #clock: Clock;
  readonly #entries = new Map<number, ScheduleEntry>();
  readonly #heap = new FireHeap();
  #generation = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Number of cron jobs under schedule. */
  get size(): number {
    return this.#entries.size;
  }

  /** The earliest instant under schedule, if any. */
  get nextAt(): number | undefined {
    return this.#heap.peek()?.at;
  }

  /**
   * Puts jobs under schedule, or takes them off (`removed`, disabled or non-cron jobs).
   * `lastFired` gives the latest recorded instant per job: fires resume after it.
   */
  update(
    changed: readonly Job[],
    removed: readonly number[],
    lastFired: ReadonlyMap<number, number>,
  ): void {
    for (const id of removed) this.#entries.delete(id);
    for (const job of changed) {
      const next = job.status === 'enabled' ? nextFireOf(job) : undefined;
      if (next === undefined) {
        this.#entries.delete(job.id);
        continue;
      }
      const previous = this.#entries.get(job.id);
      // An edit or an enable starts the schedule afresh at the change: instants before it
      // belong to the old schedule and are not misfires of the new one.
      const cursor = Math.max(
        previous?.cursor ?? lastFired.get(job.id) ?? job.updatedAt,
        job.updatedAt,
      );
      const entry: ScheduleEntry = {
        job,
        next,
        generation: ++this.#generation,
        cursor,
        since: this.#clock.now(),
      };
      this.#entries.set(job.id, entry);
      this.advance(entry);
    }
    // Replaced entries stay in the heap until they come up; a job edited again and again (by a
    // script, say) would pile them up, so the heap is rebuilt once they outnumber the live ones.
    if (this.#heap.size > 2 * this.#entries.size + 1_000)
      this.#heap.retain((e) => this.#entries.get(e.jobId)?.generation === e.generation);
  }

  /**
   * Takes the earliest instant if it is due by `horizon`, with its job's entry; the caller
   * moves the entry's cursor and {@link advance}s it. Undefined when nothing is due.
   */
  takeDue(horizon: number): { readonly entry: ScheduleEntry; readonly at: number } | undefined {
    for (;;) {
      const top = this.#heap.peek();
      if (top === undefined || top.at > horizon) return undefined;
      this.#heap.pop();
      const entry = this.#entries.get(top.jobId);
      if (entry !== undefined && entry.generation === top.generation) return { entry, at: top.at };
    }
  }

  /** Puts the entry's next instant after its cursor in the heap, if it has one. */
  advance(entry: ScheduleEntry): void {
    const at = entry.next(entry.cursor);
    if (at !== null) this.#heap.push({ at, jobId: entry.job.id, generation: entry.generation });
  }
}
