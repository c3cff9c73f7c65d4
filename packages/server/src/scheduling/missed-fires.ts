import type { Clock, FireClaim, Logger } from '@carillon/core';
import { ExecutionCause } from '@carillon/core';
import type { ServerEventBus } from '../events.js';
import { fireClaimOf } from './fire-claim.js';
import { planMisfires } from './misfire-plan.js';
import type { ScheduleEntry } from './scheduled-jobs.js';

/** Settings of {@link MissedFires}: the {@link Scheduler}'s, defaults applied. */
export interface MissedFiresOptions {
  readonly clock: Clock;
  readonly events: ServerEventBus;
  readonly logger: Logger;
  readonly misfireThresholdMs: number;
  readonly fireAllCap: number;
  readonly maxMissedRecorded: number;
  readonly databaseTrouble?:
    (() => { readonly from: number; readonly to: number } | undefined) | undefined;
}

/**
 * Tells missed instants from delayed ones, and claims the missed ones as the job's misfire
 * policy says.
 */
export class MissedFires {
  readonly #o: MissedFiresOptions;
  /**
   * The instants that came due while the scheduler was busy claiming (a statement that took
   * long, failed and was retried): those were delayed, not missed, and are claimed as scheduled
   * fires however late. A pass that starts within the misfire threshold of the previous one's
   * end extends it; after a longer gap (the process stalled, the clock jumped) it starts afresh.
   */
  #busy: { from: number; to: number } | undefined;

  constructor(options: MissedFiresOptions) {
    this.#o = options;
  }

  /** The scheduler was busy claiming from `from` to `to`. */
  markBusy(from: number, to: number): void {
    const busy = this.#busy;
    if (busy !== undefined && from - this.#o.misfireThresholdMs <= busy.to && from >= busy.from)
      busy.to = Math.max(busy.to, to);
    else this.#busy = { from, to: Math.max(from, to) };
  }

  /**
   * True when the job's instant `at` is past the misfire threshold and was not merely delayed
   * while the scheduler, holding the job, was busy claiming or held up by the database.
   */
  isMissed(entry: ScheduleEntry, at: number, now: number): boolean {
    if (at >= now - this.#o.misfireThresholdMs) return false;
    return (
      !this.#delayed(entry, at, this.#busy) &&
      !this.#delayed(entry, at, this.#o.databaseTrouble?.())
    );
  }

  /** Gathers every missed instant of a job up to now and claims them as its misfire policy says. */
  collect(entry: ScheduleEntry, first: number, now: number, claims: FireClaim[]): void {
    const missed: number[] = [];
    let at: number | null = first;
    while (
      at !== null &&
      this.isMissed(entry, at, now) &&
      missed.length < this.#o.maxMissedRecorded
    ) {
      missed.push(at);
      at = entry.next(at);
    }
    let last = missed[missed.length - 1] ?? first;
    if (at !== null && this.isMissed(entry, at, now)) {
      // Past the cap, jump ahead instead of walking instants one by one (to the present, or to
      // where instants were only delayed); the last recorded row says how far the gap reached.
      last = Math.min(now - this.#o.misfireThresholdMs, this.#delayedFrom(entry, last) - 1);
    }
    entry.cursor = last;
    const plan = planMisfires(missed, entry.job.misfire, this.#o.fireAllCap);
    const gapNote =
      last > (missed[missed.length - 1] ?? first)
        ? ` (more instants missed until ${new Date(last).toISOString()} were not recorded one by one)`
        : '';
    for (const instant of plan.skip) {
      claims.push(
        fireClaimOf(
          entry.job,
          instant,
          ExecutionCause.Misfire,
          this.#o.clock.now(),
          `missed; misfire policy ${entry.job.misfire}${gapNote}`,
        ),
      );
    }
    for (const instant of plan.fire)
      claims.push(fireClaimOf(entry.job, instant, ExecutionCause.Misfire, this.#o.clock.now()));
    this.#o.events.emit('fires:missed', {
      jobId: entry.job.id,
      instants: missed,
      fired: plan.fire.length,
    });
    this.#o.logger.warn(
      {
        jobId: entry.job.id,
        missed: missed.length,
        fired: plan.fire.length,
        policy: entry.job.misfire,
      },
      'missed fire instants',
    );
  }

  #delayed(
    entry: ScheduleEntry,
    at: number,
    window: { readonly from: number; readonly to: number } | undefined,
  ): boolean {
    if (window === undefined) return false;
    // Instants not yet missed when the spell began were due during it.
    const from = Math.max(window.from, entry.since) - this.#o.misfireThresholdMs;
    return at >= from && at <= window.to;
  }

  /** Where a run of missed instants starting after `last` reaches delayed ones, if it does. */
  #delayedFrom(entry: ScheduleEntry, last: number): number {
    let first = Infinity;
    for (const w of [this.#busy, this.#o.databaseTrouble?.()]) {
      if (w === undefined) continue;
      const from = Math.max(w.from, entry.since) - this.#o.misfireThresholdMs;
      if (from > last && from < first) first = from;
    }
    return first;
  }
}
