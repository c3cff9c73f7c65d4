import type { Clock, ExecutionStore, FireClaim, Job, Logger } from '@carillon/core';
import { ExecutionCause, ExecutionState } from '@carillon/core';
import type { ServerEventBus } from '../events.js';
import { claimedExecution } from './claimed-execution.js';
import { fireClaimOf } from './fire-claim.js';
import { HandOff } from './hand-off.js';
import { MissedFires } from './missed-fires.js';
import { ScheduledJobs } from './scheduled-jobs.js';

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

/**
 * Decides that fires are due and claims them. Keeps each held cron job's next instant in a
 * heap, wakes `leadMs + claimAheadMs` before the earliest, claims every fire due by then in one
 * batch, and hands the fires it won to the dispatcher through the `fires:claimed` event,
 * `leadMs` before their instant. The instants come from {@link ScheduledJobs}; those missed
 * go to {@link MissedFires}.
 */
export class Scheduler {
  readonly #o: Required<Omit<SchedulerOptions, 'shouldClaim' | 'databaseTrouble' | 'standBy'>> &
    Pick<SchedulerOptions, 'shouldClaim' | 'databaseTrouble' | 'standBy'>;
  readonly #scheduled: ScheduledJobs;
  readonly #missed: MissedFires;
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
    this.#scheduled = new ScheduledJobs(this.#o.clock);
    this.#missed = new MissedFires(this.#o);
    this.#handOff = new HandOff({
      ...this.#o,
      emit: (executions) => this.#o.events.emit('fires:claimed', { executions }),
    });
  }

  /** Number of cron jobs under schedule. */
  get scheduledJobs(): number {
    return this.#scheduled.size;
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
    this.#scheduled.update(changed, removed, lastFired);
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped || this.#paused || this.#running) return;
    const top = this.#scheduled.nextAt;
    const wakeAt = top === undefined ? Infinity : top - this.#o.leadMs - this.#o.claimAheadMs;
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
      this.#missed.markBusy(now, this.#o.clock.now());
    }
  }

  async #claimDueAt(now: number): Promise<void> {
    const horizon = now + this.#o.leadMs + this.#o.claimAheadMs;
    // Retrying with the same ids is safe: a claim that did land is found as won again.
    const claims: FireClaim[] = this.#unsent.splice(0);
    while (claims.length < this.#o.maxClaimsPerTick) {
      const due = this.#scheduled.takeDue(horizon);
      if (due === undefined) break;
      const { entry, at } = due;
      if (this.#missed.isMissed(entry, at, now)) {
        this.#missed.collect(entry, at, now, claims);
      } else {
        entry.cursor = at;
        if (this.#o.shouldClaim?.(entry.job) ?? true)
          claims.push(fireClaimOf(entry.job, at, ExecutionCause.Schedule, this.#o.clock.now()));
        else this.#o.standBy?.(entry.job, at);
      }
      this.#scheduled.advance(entry);
    }
    if ((this.#scheduled.nextAt ?? Infinity) <= horizon) this.#again = true;
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
}
