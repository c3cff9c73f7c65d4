import type { Clock, Execution, ExecutionStore, FireClaim, Job, Logger } from '@carillon/core';
import { ExecutionCause, ExecutionState, newExecutionId } from '@carillon/core';
import type { ServerEventBus } from '../events.js';
import { claimedExecution } from './claimed-execution.js';

/** Settings of the {@link StandbyWatch}. */
export interface StandbyWatchOptions {
  readonly serverId: string;
  readonly executions: ExecutionStore;
  readonly clock: Clock;
  readonly events: ServerEventBus;
  readonly logger: Logger;
  /** The job as held now; undefined when no longer held (its fires are dropped from watch). */
  readonly jobOf: (jobId: number) => Job | undefined;
  /**
   * Whether the server that owns a claimed fire is gone (out of the membership, or its heartbeat
   * stale): its claimed fires are then adopted. Called only when some fire is still `claimed`.
   */
  readonly ownersGone: (serverIds: readonly string[]) => Promise<ReadonlySet<string>>;
  /** How long after its instant a standby looks for a fire's row. Default 200 ms. */
  readonly checkDelayMs?: number;
  /** Fires due within one slot are looked up in one read. Default 100 ms. */
  readonly slotMs?: number;
  /**
   * A fire claimed by a peer but not yet dispatched is looked at again after this: how soon
   * after its owner is judged gone it is adopted. Default 100 ms (one read per slot for all
   * such fires; live owners dispatch at lead time, so only fires waiting for a client linger).
   */
  readonly recheckMs?: number;
  /** A failed check is tried again after this. Default 400 ms. */
  readonly retryMs?: number;
  /** A fire is watched at most this long after its instant. Default 10,000 ms. */
  readonly watchForMs?: number;
  /**
   * True when this server should leave the job's fire to another standby for a while: it has
   * no client that could run the job, and another live holder than `failed` (the gone owner
   * whose fire is to be adopted) has. It then rescues the fire (claims a missing row, adopts a
   * gone owner's) only `deferMs` later, so that a standby with a client gets it first. For a
   * missing row no holder is left out: which one failed to claim is not known for sure (views
   * of who is preferred differ while membership changes). Default: never.
   */
  readonly rescueLater?: (job: Job, failed: string | undefined) => boolean;
  /** How much later a standby without a client for the job rescues its fires. Default 1,000 ms. */
  readonly deferMs?: number;
}

interface Watched {
  readonly jobId: number;
  readonly scheduledAt: number;
  /** Rescue was put off once already (no client here): now it is done whatever the clients. */
  readonly deferred?: boolean;
}

/**
 * The standby side of lock contention per fire. The preferred holder of a job claims its fires
 * at lead time; every other live holder stands by: a little after each instant it looks, in one
 * read per time slot for all jobs it stands by for, whether the fire's row exists. A missing row
 * (the preferred holder died, is frozen, or is cut off) is claimed here; the unique
 * `(job, scheduled instant)` row decides any race, so exactly one holder wins. A row still
 * `claimed` by a server that is gone (it died after claiming, before dispatching) is adopted
 * (compare-and-set on owner, next attempt). Rows claimed by live peers stay under watch until
 * dispatched. No ZooKeeper write at all, and no database write unless a fire needs rescuing.
 */
export class StandbyWatch {
  readonly #o: Required<StandbyWatchOptions>;
  readonly #slots = new Map<number, Watched[]>();
  readonly #timers = new Map<number, () => void>();
  #paused = false;
  readonly #counts = { reads: 0, fires: 0, claimed: 0, adopted: 0 };
  /**
   * Fires an adoption was to move when it failed, by id, at the attempt read: its takeover may
   * have committed with its reply lost, and the row, now this server's, is no longer a gone
   * owner's to adopt. Looked for when the fire is checked again.
   */
  readonly #unconfirmed = new Map<string, number>();

  constructor(options: StandbyWatchOptions) {
    this.#o = {
      checkDelayMs: 200,
      slotMs: 100,
      recheckMs: 100,
      retryMs: 400,
      watchForMs: 10_000,
      rescueLater: () => false,
      deferMs: 1_000,
      ...options,
    };
  }

  /**
   * What the watch has done since it was made: `reads` statements for `fires` fire checks (one
   * read per time slot, however many fires and jobs), fires `claimed` in the preferred holder's
   * place, and `adopted` from gone owners. Writes happen only for those two.
   */
  get counts(): { reads: number; fires: number; claimed: number; adopted: number } {
    return { ...this.#counts };
  }

  /** Fires under watch. */
  get watching(): number {
    let n = 0;
    for (const fires of this.#slots.values()) n += fires.length;
    return n;
  }

  /** Puts a fire under watch: checked `checkDelayMs` after its instant. */
  watch(job: Job, scheduledAt: number): void {
    this.#add({ jobId: job.id, scheduledAt }, scheduledAt + this.#o.checkDelayMs);
  }

  /**
   * Puts under watch the fires of jobs this server just started holding that a peer has
   * claimed and not dispatched, instants of the last `watchForMs` and those claimed ahead.
   * The scheduler starts a newly held job after its last recorded instant, so without this a
   * fire the preferred holder claimed before this server loaded the job (a job's first
   * instant, claimed about a second ahead as the job is created) was never looked at here: had
   * its owner died holding it, it waited for the session timeout (seen: 4,057 ms after the
   * kill). One read per job; jobs are newly held rarely (created, or reassigned).
   */
  async watchClaimedOf(jobs: readonly Job[]): Promise<void> {
    const since = this.#o.clock.now() - this.#o.watchForMs;
    for (const job of jobs) {
      let rows: readonly Execution[];
      try {
        rows = await this.#o.executions.listByJobAndStates(job.id, [ExecutionState.Claimed]);
      } catch (error) {
        this.#o.logger.warn(
          { err: error, jobId: job.id },
          'reading the claimed fires of a newly held job failed',
        );
        continue;
      }
      for (const row of rows) {
        if (row.ownerServerId === null || row.ownerServerId === this.#o.serverId) continue;
        if (row.scheduledAt < since) continue;
        // The scheduler may have put it under watch already: one check is enough.
        const slot = this.#slotOf(row.scheduledAt + this.#o.checkDelayMs);
        const same = (f: Watched) => f.jobId === job.id && f.scheduledAt === row.scheduledAt;
        if (this.#slots.get(slot)?.some(same) === true) continue;
        this.watch(job, row.scheduledAt);
      }
    }
  }

  /**
   * Checks nothing and takes no new watch (session suspended, or stopping). The fires under
   * watch are kept: a suspension of a moment (a stalled event loop counts as one) must not
   * leave a dead peer's claimed fires to the session timeout.
   */
  pause(): void {
    this.#paused = true;
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
  }

  /** Checks again, the fires kept under watch at once (those past `watchForMs` are let go). */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    // All in the next slot: one read for them, not one per slot missed.
    const kept = [...this.#slots.values()].flat();
    this.#slots.clear();
    const now = this.#o.clock.now();
    for (const fire of kept) this.#keep(fire, now);
  }

  #add(fire: Watched, checkAt: number): void {
    if (this.#paused) return;
    // Never a slot already due: its timer would run at once, one read per fire added, and a
    // slot whose check is under way (its read is slow) would start a second check beside it.
    const slot = this.#slotOf(Math.max(checkAt, this.#o.clock.now() + 1));
    const fires = this.#slots.get(slot);
    if (fires !== undefined) {
      fires.push(fire);
      return;
    }
    this.#slots.set(slot, [fire]);
    this.#timers.set(
      slot,
      this.#o.clock.setTimer(slot, () => void this.#check(slot)),
    );
  }

  #slotOf(checkAt: number): number {
    return Math.ceil(checkAt / this.#o.slotMs) * this.#o.slotMs;
  }

  async #check(slot: number): Promise<void> {
    this.#timers.delete(slot);
    const fires = (this.#slots.get(slot) ?? []).filter(
      (f) => this.#o.jobOf(f.jobId)?.holders.includes(this.#o.serverId) ?? false,
    );
    this.#slots.delete(slot);
    if (fires.length === 0 || this.#paused) return;
    try {
      this.#counts.reads++;
      this.#counts.fires += fires.length;
      const rows = await this.#o.executions.findFires(fires);
      const byFire = new Map(rows.map((r) => [`${r.jobId}:${r.scheduledAt}`, r]));
      const missing = fires.filter((f) => !byFire.has(`${f.jobId}:${f.scheduledAt}`));
      const deferred = new Set(
        fires.filter((f) => f.deferred === true).map((f) => `${f.jobId}:${f.scheduledAt}`),
      );
      const pending = rows
        .filter((r) => r.state === ExecutionState.Claimed && r.ownerServerId !== this.#o.serverId)
        .map((r) => (deferred.has(`${r.jobId}:${r.scheduledAt}`) ? { ...r, deferred: true } : r));
      this.#takeUnconfirmed(rows);
      await this.#claimMissing(missing, slot);
      await this.#adoptOrWatch(pending, slot);
    } catch (error) {
      this.#o.logger.warn(
        { err: error, fires: fires.length },
        'standby check failed; its fires are looked at again',
      );
      const retryAt = this.#o.clock.now() + this.#o.retryMs;
      for (const f of fires) this.#keep(f, retryAt);
    }
  }

  /**
   * True when this server should leave the fire to a standby with a client for a while (see
   * `rescueLater`), and has not put it off already. The fire is then looked at again `deferMs`
   * later, and rescued then if no one else has (that standby may have died or lost its
   * clients meanwhile: the fire must not be left unclaimed).
   */
  #putOff(fire: Watched, job: Job, failed: string | undefined): boolean {
    if (fire.deferred === true || !this.#o.rescueLater(job, failed)) return false;
    this.#keep({ ...fire, deferred: true }, this.#o.clock.now() + this.#o.deferMs);
    return true;
  }

  async #claimMissing(missing: readonly Watched[], slot: number): Promise<void> {
    if (missing.length === 0 || this.#paused) return;
    const now = this.#o.clock.now();
    const claims: FireClaim[] = [];
    for (const f of missing) {
      const job = this.#o.jobOf(f.jobId);
      if (job === undefined || this.#putOff(f, job, undefined)) continue;
      claims.push({
        id: newExecutionId(now),
        jobId: job.id,
        groupId: job.groupId,
        scheduledAt: f.scheduledAt,
        cause: ExecutionCause.Schedule,
        param: job.param,
      });
    }
    const won = await this.#o.executions.claimFires(this.#o.serverId, claims, now);
    // Lost: another holder claimed it after this read (the preferred holder, late). It stays
    // under watch like any fire claimed by a peer, or its owner dying before dispatching it
    // would leave it to the session timeout.
    for (const c of claims) if (!won.has(c.id)) this.#keep(c, this.#recheckAt(slot));
    const executions = claims
      .filter((c) => won.has(c.id))
      .map((c) => claimedExecution(c, this.#o.serverId, now));
    if (executions.length === 0) return;
    this.#counts.claimed += executions.length;
    this.#o.logger.warn(
      {
        fires: executions.length,
        jobIds: [...new Set(executions.map((e) => e.jobId))],
        maxLateMs: Math.max(...executions.map((e) => now - e.scheduledAt)),
      },
      'standby claimed fires the preferred holder did not',
    );
    this.#o.events.emit('fires:stood-in', { executions });
    this.#o.events.emit('fires:claimed', { executions });
  }

  async #adoptOrWatch(
    pending: readonly (Execution & { readonly deferred?: boolean })[],
    slot: number,
  ): Promise<void> {
    if (pending.length === 0 || this.#paused) return;
    const owners = [...new Set(pending.flatMap((e) => e.ownerServerId ?? []))];
    const gone = await this.#o.ownersGone(owners);
    for (const owner of owners) {
      // Every fire of a gone owner still `claimed` was never sent: the owner records the
      // dispatch (compare-and-set on owner and attempt) before sending, so either it did and
      // the adoption below fails, or the adoption wins and its send does not happen. No age
      // of the claim is asked for: `createdAt` is the owner's clock, not ours.
      const stuck = pending.filter((e) => e.ownerServerId === owner);
      if (!gone.has(owner)) {
        for (const e of stuck) this.#keep(e, this.#recheckAt(slot));
        continue;
      }
      // A gone owner's fires go first to a standby that has a client for them (see #putOff).
      const ours = stuck.filter((e) => {
        const job = this.#o.jobOf(e.jobId);
        return job !== undefined && !this.#putOff(e, job, owner);
      });
      if (ours.length === 0) continue;
      const jobIds = [...new Set(ours.map((e) => e.jobId))];
      // Only these fires, and only while still `claimed`: what the owner sent stays its own.
      let adopted: readonly Execution[];
      try {
        adopted = await this.#o.executions.adoptOrphans(
          owner,
          this.#o.serverId,
          jobIds,
          ours.map((e) => e.id),
        );
      } catch (error) {
        for (const e of ours) this.#unconfirmed.set(e.id, e.attempt);
        throw error;
      }
      if (adopted.length === 0) continue;
      this.#counts.adopted += adopted.length;
      this.#o.logger.warn(
        { deadServerId: owner, adopted: adopted.length },
        'adopted fires a gone server claimed and did not dispatch',
      );
      this.#o.events.emit('fires:claimed', { executions: adopted });
    }
  }

  /**
   * Routes the fires of a failed adoption that it did move: this server's now, still `claimed`,
   * one attempt on from the one read. The dispatcher routes an execution at an attempt once.
   */
  #takeUnconfirmed(rows: readonly Execution[]): void {
    if (this.#unconfirmed.size === 0) return;
    const moved: Execution[] = [];
    for (const row of rows) {
      const before = this.#unconfirmed.get(row.id);
      if (before === undefined) continue;
      this.#unconfirmed.delete(row.id);
      if (
        row.ownerServerId === this.#o.serverId &&
        row.state === ExecutionState.Claimed &&
        row.attempt === before + 1
      )
        moved.push(row);
    }
    if (moved.length === 0) return;
    this.#counts.adopted += moved.length;
    this.#o.logger.warn(
      { adopted: moved.length },
      'fires an adoption moved though its call failed (reply lost) are routed now',
    );
    this.#o.events.emit('fires:claimed', { executions: moved });
  }

  /**
   * When a fire looked at in `slot` is looked at again: `recheckMs` after that slot, not after
   * now. The check ends a few ms into its slot, and `now + recheckMs` rounded up to the next
   * slot put the recheck 200 ms on instead of 100, which delayed every adoption by up to
   * 100 ms. A check that took longer than `recheckMs` (a loaded machine or database) is
   * followed by a full `recheckMs` from now, not at once.
   */
  #recheckAt(slot: number): number {
    const now = this.#o.clock.now();
    return slot + this.#o.recheckMs > now ? slot + this.#o.recheckMs : now + this.#o.recheckMs;
  }

  #keep(fire: Watched, checkAt: number): void {
    if (checkAt - fire.scheduledAt > this.#o.watchForMs) return;
    const { jobId, scheduledAt, deferred } = fire;
    this.#add(
      deferred === true ? { jobId, scheduledAt, deferred } : { jobId, scheduledAt },
      checkAt,
    );
  }
}
