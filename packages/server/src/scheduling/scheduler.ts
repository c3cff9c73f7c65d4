import type { Clock, ExecutionStore, FireClaim, Job, Logger } from '@carillon/core';
import { ExecutionCause, ExecutionState, newExecutionId } from '@carillon/core';
import type { ServerEventBus } from '../events.js';
import { claimedExecution } from './claimed-execution.js';
import { FireHeap } from './fire-heap.js';
import { HandOff } from './hand-off.js';
import { planMisfires } from './misfire-plan.js';
import type { NextFire } from './next-fire.js';
import { nextFireOf } from './next-fire.js';

/** Settings of the {@link Scheduler}. */
export interface SchedulerOptions {
  readonly serverId: string;
  readonly executions: ExecutionStore;
  readonly clock: Clock;
  readonly events: ServerEventBus;
  readonly logger: Logger;
  /** How long before its instant a fire is handed to the dispatcher (routed and sent). Default 300 ms. */
  readonly leadMs?: number;
  /**
   * How much earlier than `leadMs` a fire's row is claimed. Claimed fires are held until their
   * hand-off, so that a claim statement slowed by a busy database (hundreds of ms for a thousand
   * rows) is paid in this margin instead of making the whole instant late. The overlap policy is
   * still decided at the hand-off, `leadMs` ahead, as without it. Default 0 (claim at the hand-off).
   */
  readonly claimAheadMs?: number;
  /** An instant older than this when its turn comes counts as missed. Default 5,000 ms. */
  readonly misfireThresholdMs?: number;
  /** `fire_all` fires at most this many missed instants per job. Default 100. */
  readonly fireAllCap?: number;
  /** Missed instants recorded one by one per job and recovery, at most. Default 1,000. */
  readonly maxMissedRecorded?: number;
  /** Claims per database statement batch. Default 1,000. */
  readonly maxClaimsPerTick?: number;
  /** Whether this server should claim the job's fires (false: standby, lets a peer claim). */
  readonly shouldClaim?: (job: Job) => boolean;
  /**
   * Called with each fire this server stands by for (`shouldClaim` false), as its instant comes
   * up: the standby checks later that the preferred holder claimed it. Default: none.
   */
  readonly standBy?: (job: Job, scheduledAt: number) => void;
  /**
   * Whether a failed claim statement may succeed later (the database was unreachable or busy):
   * its claims are then tried again. Claims that failed otherwise are dropped. Default: all.
   */
  readonly isTransient?: (error: unknown) => boolean;
  /**
   * The latest spell during which the database held the server up (see `DatabaseHealth`):
   * instants due within it were delayed, not missed. Default: none.
   */
  readonly databaseTrouble?: () => { readonly from: number; readonly to: number } | undefined;
}

/** Wait before retrying a claim statement that failed (the database is down or unreachable). */
const CLAIM_RETRY_MS = 500;

interface Entry {
  job: Job;
  next: NextFire;
  generation: number;
  /** The last instant handled (claimed, skipped or missed). */
  cursor: number;
  /** When this scheduler put the job under schedule (its clock). */
  readonly since: number;
}

/**
 * Decides that fires are due and claims them. Keeps each held cron job's next instant in a
 * heap, wakes `leadMs + claimAheadMs` before the earliest, claims every fire due by then in one
 * batch, and hands the fires it won to the dispatcher through the `fires:claimed` event,
 * `leadMs` before their instant.
 */
export class Scheduler {
  readonly #o: Required<Omit<SchedulerOptions, 'shouldClaim' | 'databaseTrouble' | 'standBy'>> &
    Pick<SchedulerOptions, 'shouldClaim' | 'databaseTrouble' | 'standBy'>;
  /**
   * The instants that came due while this scheduler was busy claiming (a statement that took
   * long, failed and was retried): those were delayed, not missed, and are claimed as scheduled
   * fires however late. A pass that starts within the misfire threshold of the previous one's
   * end extends it; after a longer gap (the process stalled, the clock jumped) it starts afresh.
   */
  #busy: { from: number; to: number } | undefined;
  readonly #entries = new Map<number, Entry>();
  readonly #heap = new FireHeap();
  #generation = 0;
  #cancelTimer: (() => void) | undefined;
  #armedAt = Infinity;
  #running = false;
  #again = false;
  /** Claims whose statement failed (database down): retried first, with the same ids. */
  #unsent: FireClaim[] = [];
  #stopped = true;
  /** The coordinator session is suspended or lost: no claims until {@link resume}. */
  #paused = false;
  #idle: Promise<void> = Promise.resolve();
  /** Won fires claimed ahead, until their hand-off `leadMs` before their instant. */
  readonly #handOff: HandOff;

  constructor(options: SchedulerOptions) {
    this.#o = {
      leadMs: 300,
      claimAheadMs: 0,
      misfireThresholdMs: 5_000,
      fireAllCap: 100,
      maxMissedRecorded: 1_000,
      maxClaimsPerTick: 1_000,
      isTransient: () => true,
      ...options,
    };
    this.#handOff = new HandOff({
      ...this.#o,
      emit: (executions) => this.#o.events.emit('fires:claimed', { executions }),
    });
  }

  /** Number of cron jobs under schedule. */
  get scheduledJobs(): number {
    return this.#entries.size;
  }

  start(): void {
    this.#stopped = false;
    this.#arm();
  }

  /**
   * Stops claiming at once (the coordinator session is suspended or lost: this server may be
   * partitioned from its peers, who claim in its place). Cursors stay where they are, so on
   * {@link resume} the instants passed meanwhile are found: claimed late if peers did not
   * (the unique row settles any race), or handed to the misfire policy.
   */
  pause(): void {
    this.#paused = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#armedAt = Infinity;
  }

  /** Claims again after {@link pause}. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#arm();
  }

  /**
   * Stops waking up; waits for a claim in flight to finish. Fires claimed ahead and not yet
   * handed off are handed off now, as a claim in flight is: the dispatcher decides what
   * becomes of them, and no row is left claimed by a server that never looked at it again.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    await this.#idle;
    this.#handOff.flush();
  }

  /**
   * Puts jobs under schedule, or takes them off (`removed`, disabled or non-cron jobs).
   * `lastFired` gives the latest recorded instant per job: fires resume after it, so instants
   * missed while no server held the job are found and handled by the misfire policy.
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
      const entry: Entry = {
        job,
        next,
        generation: ++this.#generation,
        cursor,
        since: this.#o.clock.now(),
      };
      this.#entries.set(job.id, entry);
      this.#push(entry);
    }
    // Replaced entries stay in the heap until they come up; a job edited again and again (by a
    // script, say) would pile them up, so the heap is rebuilt once they outnumber the live ones.
    if (this.#heap.size > 2 * this.#entries.size + 1_000)
      this.#heap.retain((e) => this.#entries.get(e.jobId)?.generation === e.generation);
    this.#arm();
  }

  #push(entry: Entry): void {
    const at = entry.next(entry.cursor);
    if (at !== null) this.#heap.push({ at, jobId: entry.job.id, generation: entry.generation });
  }

  #arm(): void {
    if (this.#stopped || this.#paused || this.#running) return;
    const top = this.#heap.peek();
    const wakeAt = top === undefined ? Infinity : top.at - this.#o.leadMs - this.#o.claimAheadMs;
    if (wakeAt === this.#armedAt) return;
    this.#cancelTimer?.();
    this.#armedAt = wakeAt;
    this.#cancelTimer =
      wakeAt === Infinity ? undefined : this.#o.clock.setTimer(wakeAt, () => this.#wake());
  }

  #wake(): void {
    this.#armedAt = Infinity;
    this.#cancelTimer = undefined;
    if (this.#paused || this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    this.#idle = this.#claimDue()
      .catch((error: unknown) => {
        if (!this.#o.isTransient(error)) {
          // Trying the same claims again would fail the same way, and hold up every later one.
          const dropped = this.#unsent.splice(0);
          this.#o.logger.error(
            {
              err: error,
              dropped: dropped.length,
              jobIds: [...new Set(dropped.map((c) => c.jobId))],
            },
            'claiming fires failed for a reason other than the database; those fires are dropped',
          );
          return;
        }
        // The database's health reports the outage once; this is the statement's own trace.
        this.#o.logger.debug(
          { err: error, pending: this.#unsent.length },
          'claiming fires failed; will retry',
        );
        if (this.#stopped) return;
        // A wait, not an instant: a step of the wall clock must not stretch it.
        this.#cancelTimer = this.#o.clock.after(CLAIM_RETRY_MS, () => this.#wake());
        this.#armedAt = this.#o.clock.now() + CLAIM_RETRY_MS;
      })
      .finally(() => {
        this.#running = false;
        if (this.#unsent.length > 0) return;
        if (this.#again) {
          this.#again = false;
          queueMicrotask(() => this.#wake());
        } else {
          this.#arm();
        }
      });
  }

  async #claimDue(): Promise<void> {
    const now = this.#o.clock.now();
    try {
      await this.#claimDueAt(now);
    } finally {
      this.#markBusy(now, this.#o.clock.now());
    }
  }

  #markBusy(from: number, to: number): void {
    const busy = this.#busy;
    if (busy !== undefined && from - this.#o.misfireThresholdMs <= busy.to && from >= busy.from)
      busy.to = Math.max(busy.to, to);
    else this.#busy = { from, to: Math.max(from, to) };
  }

  /**
   * True when the job's instant `at` is past the misfire threshold and was not merely delayed
   * while this scheduler, holding the job, was busy claiming or held up by the database.
   */
  #isMissed(entry: Entry, at: number, now: number): boolean {
    if (at >= now - this.#o.misfireThresholdMs) return false;
    return (
      !this.#delayed(entry, at, this.#busy) &&
      !this.#delayed(entry, at, this.#o.databaseTrouble?.())
    );
  }

  #delayed(
    entry: Entry,
    at: number,
    window: { readonly from: number; readonly to: number } | undefined,
  ): boolean {
    if (window === undefined) return false;
    // Instants not yet missed when the spell began were due during it.
    const from = Math.max(window.from, entry.since) - this.#o.misfireThresholdMs;
    return at >= from && at <= window.to;
  }

  /** Where a run of missed instants starting after `last` reaches delayed ones, if it does. */
  #delayedFrom(entry: Entry, last: number): number {
    let first = Infinity;
    for (const w of [this.#busy, this.#o.databaseTrouble?.()]) {
      if (w === undefined) continue;
      const from = Math.max(w.from, entry.since) - this.#o.misfireThresholdMs;
      if (from > last && from < first) first = from;
    }
    return first;
  }

  async #claimDueAt(now: number): Promise<void> {
    const horizon = now + this.#o.leadMs + this.#o.claimAheadMs;
    // Retrying with the same ids is safe: a claim that did land is found as won again.
    const claims: FireClaim[] = this.#unsent.splice(0);
    while (claims.length < this.#o.maxClaimsPerTick) {
      const top = this.#heap.peek();
      if (top === undefined || top.at > horizon) break;
      this.#heap.pop();
      const entry = this.#entries.get(top.jobId);
      if (entry === undefined || entry.generation !== top.generation) continue;
      if (this.#isMissed(entry, top.at, now)) {
        this.#collectMissed(entry, top.at, now, claims);
      } else {
        entry.cursor = top.at;
        if (this.#o.shouldClaim?.(entry.job) ?? true)
          claims.push(this.#claim(entry.job, top.at, ExecutionCause.Schedule));
        else this.#o.standBy?.(entry.job, top.at);
      }
      this.#push(entry);
    }
    if (this.#heap.peek() !== undefined && (this.#heap.peek()?.at ?? Infinity) <= horizon)
      this.#again = true;
    if (claims.length === 0) return;
    let won: ReadonlySet<string>;
    try {
      won = await this.#o.executions.claimFires(this.#o.serverId, claims, now);
    } catch (error) {
      this.#unsent = claims;
      throw error;
    }
    const executions = claims
      .filter((c) => won.has(c.id) && c.state !== ExecutionState.Skipped)
      .map((c) => claimedExecution(c, this.#o.serverId, now));
    this.#handOff.hold(executions);
  }

  /** Gathers every missed instant of a job up to now and claims them as its misfire policy says. */
  #collectMissed(entry: Entry, first: number, now: number, claims: FireClaim[]): void {
    const missed: number[] = [];
    let at: number | null = first;
    while (
      at !== null &&
      this.#isMissed(entry, at, now) &&
      missed.length < this.#o.maxMissedRecorded
    ) {
      missed.push(at);
      at = entry.next(at);
    }
    let last = missed[missed.length - 1] ?? first;
    if (at !== null && this.#isMissed(entry, at, now)) {
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
        this.#claim(
          entry.job,
          instant,
          ExecutionCause.Misfire,
          `missed; misfire policy ${entry.job.misfire}${gapNote}`,
        ),
      );
    }
    for (const instant of plan.fire)
      claims.push(this.#claim(entry.job, instant, ExecutionCause.Misfire));
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

  #claim(job: Job, scheduledAt: number, cause: ExecutionCause, skippedReason?: string): FireClaim {
    return {
      id: newExecutionId(this.#o.clock.now()),
      jobId: job.id,
      groupId: job.groupId,
      scheduledAt,
      cause,
      param: job.param,
      ...(skippedReason === undefined
        ? {}
        : { state: ExecutionState.Skipped, reason: skippedReason }),
    };
  }
}
