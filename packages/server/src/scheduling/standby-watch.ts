import type { Clock, Execution, ExecutionStore, FireClaim, Job, Logger } from '@carillon/core';
import { ExecutionCause, ExecutionState, newExecutionId } from '@carillon/core';
import type { ServerEventBus } from '../events.js';
import { claimedExecution } from './claimed-execution.js';
import { GoneOwnerAdoption } from './gone-owner-adoption.js';
import { PeerClaims } from './peer-claims.js';
import type { PeerClaim } from './peer-claims.js';
import { WatchSlots } from './watch-slots.js';
import type { Watched } from './watch-slots.js';

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
   * after its owner is judged gone it is adopted. Default 100 ms (one read of the beats per
   * look for all such fires; their rows are not read again while their owner lives).
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

/**
 * The standby side of lock contention per fire. The preferred holder of a job claims its fires
 * at lead time; every other live holder stands by: a little after each instant it looks, in one
 * read per time slot for all jobs it stands by for, whether the fire's row exists (a count of
 * the rows in hand first; the rows only when it falls short, or at once while the last rows read
 * fell short). A missing row
 * (the preferred holder died, is frozen, or is cut off) is claimed here; the unique
 * `(job, scheduled instant)` row decides any race, so exactly one holder wins. A row still
 * `claimed` by a server that is gone (it died after claiming, before dispatching) is adopted
 * (compare-and-set on owner, next attempt). Fires claimed by live peers are kept in memory
 * ({@link PeerClaims}) and their owners asked about every `recheckMs`, until `watchForMs` after
 * the instant. No ZooKeeper write at all, and no database write unless a fire needs rescuing.
 */
export class StandbyWatch {
  readonly #o: Required<StandbyWatchOptions>;
  readonly #slots: WatchSlots;
  readonly #claims: PeerClaims;
  readonly #adoption: GoneOwnerAdoption;
  #paused = false;
  /** The last rows read showed a fire not in hand: the next slot reads its rows at once. */
  #lastFellShort = false;
  readonly #counts = { reads: 0, rowReads: 0, fires: 0, rechecks: 0, claimed: 0, adopted: 0 };

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
    this.#slots = new WatchSlots(this.#o.clock, this.#o.slotMs, (slot) => void this.#check(slot));
    this.#claims = new PeerClaims(this.#o.watchForMs);
    this.#adoption = new GoneOwnerAdoption(options);
  }

  /**
   * What the watch has done since it was made: `reads` for `fires` fire checks (one per time
   * slot, however many fires and jobs; `rowReads` of them read the rows, the others found every
   * fire in hand by a count), `rechecks` of fires claimed by peers (no read of their rows:
   * their owners are asked about), fires `claimed` in the preferred holder's place, and
   * `adopted` from gone owners. Writes happen only for those two.
   */
  get counts(): {
    reads: number;
    rowReads: number;
    fires: number;
    rechecks: number;
    claimed: number;
    adopted: number;
  } {
    return { ...this.#counts };
  }

  /** Fires under watch. */
  get watching(): number {
    return this.#claims.size + this.#slots.size;
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
   * kill). One read for all the jobs: a bench step adds a hundred jobs at once.
   */
  async watchClaimedOf(jobs: readonly Job[]): Promise<void> {
    if (jobs.length === 0) return;
    const since = Math.max(0, this.#o.clock.now() - this.#o.watchForMs);
    let rows: readonly Execution[];
    try {
      rows = await this.#o.executions.listClaimedOfJobs(
        jobs.map((j) => j.id),
        since,
      );
    } catch (error) {
      this.#o.logger.warn(
        { err: error, jobs: jobs.length },
        'reading the claimed fires of newly held jobs failed',
      );
      return;
    }
    const byId = new Map(jobs.map((j) => [j.id, j]));
    for (const row of rows) {
      const job = byId.get(row.jobId);
      if (job === undefined || row.ownerServerId === null) continue;
      if (row.ownerServerId === this.#o.serverId || this.#claims.has(row.id)) continue;
      // The scheduler may have put it under watch already: one check is enough.
      const checkAt = row.scheduledAt + this.#o.checkDelayMs;
      if (this.#slots.has(job.id, row.scheduledAt, checkAt)) continue;
      // Read at its check like any fire: one its owner sends meanwhile is let go then.
      this.watch(job, row.scheduledAt);
    }
  }

  /**
   * Checks nothing and takes no new watch (session suspended, or stopping). The fires under
   * watch are kept: a suspension of a moment (a stalled event loop counts as one) must not
   * leave a dead peer's claimed fires to the session timeout.
   */
  pause(): void {
    this.#paused = true;
    this.#slots.stopTimers();
  }

  /** Checks again, the fires kept under watch at once (those past `watchForMs` are let go). */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    // All in the next slot: one read for them, not one per slot missed.
    const kept = this.#slots.takeAll();
    const now = this.#o.clock.now();
    for (const fire of kept) this.#keep(fire, now);
    this.#claims.dueAll(now);
    if (this.#claims.size > 0) this.#add(undefined, now);
  }

  /** Adds `fire` to be read at the slot of `checkAt`; without one, makes sure that slot runs. */
  #add(fire: Watched | undefined, checkAt: number): void {
    if (!this.#paused) this.#slots.add(fire, checkAt);
  }

  async #check(slot: number): Promise<void> {
    const held = (jobId: number) =>
      this.#o.jobOf(jobId)?.holders.includes(this.#o.serverId) ?? false;
    const fires = this.#slots.take(slot).filter((f) => held(f.jobId));
    if (this.#paused) return;
    this.#claims.prune(slot, held);
    if (fires.length === 0 && this.#claims.size === 0) return;
    let taken: readonly PeerClaim[] = [];
    try {
      const pending = new Map<string, PeerClaim[]>();
      if (fires.length > 0) await this.#read(fires, slot, pending);
      this.#counts.rechecks += this.#claims.size;
      taken = await this.#adoptOrWatch(pending, slot);
    } catch (error) {
      this.#o.logger.warn(
        { err: error, fires: fires.length },
        'standby check failed; its fires are looked at again',
      );
      const retryAt = this.#o.clock.now() + this.#o.retryMs;
      for (const f of fires) this.#keep(f, retryAt);
      for (const c of taken) this.#claims.keep(c, retryAt);
    }
    this.#lookAgainLater(slot);
  }

  /** While fires claimed by peers are kept, a check runs every `recheckMs` to look at them. */
  #lookAgainLater(slot: number): void {
    if (this.#claims.size > 0) this.#add(undefined, this.#recheckAt(slot));
  }

  /**
   * Reads the rows of `fires`: claims those missing, routes what a failed adoption moved, and
   * adds to `pending`, by owner, those claimed by a peer (marked `fresh`: just read).
   */
  async #read(
    fires: readonly Watched[],
    slot: number,
    pending: Map<string, PeerClaim[]>,
  ): Promise<void> {
    this.#counts.reads++;
    this.#counts.fires += fires.length;
    // Most slots find every fire dispatched by its preferred holder: a count says so without
    // reading the rows, which were about a quarter of a standby's CPU per fire. An adoption
    // awaiting confirmation needs its row, which the count would take as in hand. While a
    // peer is behind (loaded, or gone), slot after slot falls short: the rows are read at
    // once, one statement a slot rather than two while the database is busiest.
    if (!this.#adoption.awaitsConfirmation && !this.#lastFellShort) {
      const inHand = await this.#o.executions.countFiresInHand(this.#o.serverId, fires);
      if (inHand === fires.length) return;
    }
    this.#counts.rowReads++;
    const rows = await this.#o.executions.findFires(fires);
    const byFire = new Map(rows.map((r) => [`${r.jobId}:${r.scheduledAt}`, r]));
    const missing = fires.filter((f) => !byFire.has(`${f.jobId}:${f.scheduledAt}`));
    const deferred = new Set(
      fires.filter((f) => f.deferred === true).map((f) => `${f.jobId}:${f.scheduledAt}`),
    );
    let peerClaims = 0;
    for (const r of rows) {
      const owner = r.ownerServerId;
      // An unowned row (given up by its owner) is taken by a holder as a manual fire is.
      if (r.state !== ExecutionState.Claimed || owner === null || owner === this.#o.serverId)
        continue;
      const claim: PeerClaim = {
        jobId: r.jobId,
        scheduledAt: r.scheduledAt,
        id: r.id,
        attempt: r.attempt,
        owner,
        deferred: deferred.has(`${r.jobId}:${r.scheduledAt}`),
        fresh: true,
      };
      const list = pending.get(owner);
      if (list === undefined) pending.set(owner, [claim]);
      else list.push(claim);
      peerClaims++;
    }
    this.#lastFellShort = missing.length > 0 || peerClaims > 0;
    this.#counts.adopted += this.#adoption.takeUnconfirmed(rows);
    await this.#claimMissing(missing, slot);
  }

  /**
   * True when this server should leave the fire to a standby with a client for a while (see
   * `rescueLater`), and has not put it off already. The fire is then looked at again `deferMs`
   * later, and rescued then if no one else has (that standby may have died or lost its
   * clients meanwhile: the fire must not be left unclaimed).
   */
  #putOff(fire: Watched | PeerClaim, job: Job, failed: string | undefined): boolean {
    if (fire.deferred === true || !this.#o.rescueLater(job, failed)) return false;
    const at = this.#o.clock.now() + this.#o.deferMs;
    if ('owner' in fire) this.#claims.keep(claimAgain(fire, true), at);
    else this.#keep({ jobId: fire.jobId, scheduledAt: fire.scheduledAt, deferred: true }, at);
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

  /**
   * Asks whether the owners of `pending` (just read) and of the fires kept are gone (one read
   * of the beats for all): a live owner's fires just read are kept, and its kept ones are left
   * as they are, with no work per fire (a loaded peer may leave hundreds claimed past their
   * check, each kept up to `watchForMs`; a pass over them every `recheckMs` took a capped
   * standby's CPU in the cluster bench); a gone owner's, kept and just read, are adopted.
   * Returns the fires taken out for adoption, for the caller to keep again should it throw.
   */
  async #adoptOrWatch(
    pending: ReadonlyMap<string, readonly PeerClaim[]>,
    slot: number,
  ): Promise<readonly PeerClaim[]> {
    const owners = new Set([...pending.keys(), ...this.#claims.owners()]);
    if (owners.size === 0 || this.#paused) return [];
    const gone = await this.#o.ownersGone([...owners]);
    const at = this.#recheckAt(slot);
    const taken: PeerClaim[] = [];
    for (const owner of owners) {
      const read = pending.get(owner) ?? [];
      if (!gone.has(owner) || this.#paused) {
        for (const c of read) this.#claims.keep(claimAgain(c, c.deferred === true), at);
        continue;
      }
      const claims = this.#claims.takeDue(owner, slot);
      for (const c of read) claims.push(c);
      for (const c of claims) taken.push(c);
      // A gone owner's fires go first to a standby that has a client for them (see #putOff).
      const ours = claims.filter((c) => {
        const job = this.#o.jobOf(c.jobId);
        return job !== undefined && !this.#putOff(c, job, owner);
      });
      if (ours.length === 0) continue;
      const outcome = await this.#adoption.adopt(owner, ours);
      this.#counts.adopted += outcome.adopted;
      const retryAt = this.#o.clock.now() + this.#o.retryMs;
      for (const c of outcome.unconfirmed) this.#keep(c, retryAt);
      // Not moved: sent by its owner, or taken by another server (a standby adopted it, a
      // holder took it after the owner gave it up). One kept from an earlier read is read
      // again to tell, and watched under its new owner if that one has not sent it either.
      for (const c of outcome.notMoved) if (c.fresh !== true) this.#keep(c, at);
    }
    return taken;
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

/** `claim` as kept from now on: no longer just read, deferred or not. */
function claimAgain(claim: PeerClaim, deferred: boolean): PeerClaim {
  const { jobId, scheduledAt, id, attempt, owner } = claim;
  return deferred
    ? { jobId, scheduledAt, id, attempt, owner, deferred }
    : { jobId, scheduledAt, id, attempt, owner };
}
