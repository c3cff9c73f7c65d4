import type { Clock, Coordinator, Job, Leadership, Logger, Stores } from '@carillon/core';
import { chooseHolders, countFirstHolder } from '@carillon/core';
import type { DatabaseHealth } from '../database/database-health.js';
import { logTaskFailure } from '../database/database-health.js';
import type { Membership } from '../membership.js';

/** Settings of {@link HolderLeadership}. */
export interface HolderLeadershipOptions {
  readonly cluster: number;
  readonly serverGroup: number;
  readonly stores: Pick<Stores, 'groups' | 'jobs'>;
  readonly coordinator: Coordinator;
  readonly membership: Membership;
  readonly clock: Clock;
  readonly health: DatabaseHealth;
  readonly logger: Logger;
  /** A holder gone from the membership keeps its place this long. Default 10,000 ms. */
  readonly graceMs?: number;
}

/**
 * This server's part in the holder-assignment election of its ServerGroup. The leader makes
 * the group's jobs held by `backups` live servers, keeping the live holders and choosing
 * replacements by room; the others do nothing here.
 */
export class HolderLeadership {
  readonly #o: HolderLeadershipOptions;
  #leader = false;
  #stopped = false;
  #current: Leadership | undefined;
  #regrace: (() => void) | undefined;
  /**
   * How many jobs each server is the first holder of, as the last pass over every job counted
   * them and counting the first holders chosen since: a job that needs a new first holder gets
   * the least often first.
   */
  #firstOf = new Map<string, number>();

  constructor(options: HolderLeadershipOptions) {
    this.#o = options;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /**
   * Campaigns until elected (it may wait for ever while another server leads), then assigns
   * holders to every job and calls `onElected`. When leadership ends (the session suspended or
   * lost, or released) leader duties stop and it campaigns again, until {@link stop}.
   */
  async campaign(onElected: () => Promise<void>): Promise<void> {
    const o = this.#o;
    while (!this.#stopped) {
      const leadership = await o.coordinator.campaign(`holders-${o.cluster}-${o.serverGroup}`);
      if (this.#stopped) {
        await leadership.release();
        return;
      }
      this.#leader = true;
      this.#current = leadership;
      o.logger.info({}, 'leading holder assignment');
      try {
        await this.assign();
        await onElected();
      } finally {
        await leadership.lost;
        this.#leader = false;
        this.#current = undefined;
        o.logger.info({}, 'no longer leading holder assignment');
      }
    }
  }

  /**
   * Holders that left less than the grace ago: kept in place (never chosen anew, since they are
   * already holders), and a new assignment is due when the earliest grace ends.
   */
  #graced(): { serverId: string; room: string }[] {
    const o = this.#o;
    const graceMs = o.graceMs ?? 10_000;
    const now = o.clock.now();
    const graced: { serverId: string; room: string }[] = [];
    let nextEnd = Infinity;
    for (const { member, since } of o.membership.gone) {
      if (since + graceMs <= now) continue;
      graced.push({ serverId: member.serverId, room: member.room });
      nextEnd = Math.min(nextEnd, since + graceMs);
    }
    this.#regrace?.();
    this.#regrace =
      nextEnd === Infinity ? undefined : o.clock.setTimer(nextEnd + 1, () => void this.assign());
    return graced;
  }

  /** A stopping server no longer takes up leadership it wins from now on. */
  stop(): void {
    this.#stopped = true;
    this.#regrace?.();
    // A peer takes over at once rather than after this server's session times out.
    void this.#current?.release().catch(() => undefined);
  }

  /**
   * If leader, gives holders to `jobs` when given (the jobs just written), to every job of the
   * ServerGroup otherwise (membership changed, or leadership began). Returns how many jobs got
   * new holders (0 when not leader).
   */
  async assign(jobs?: readonly Job[]): Promise<number> {
    if (!this.#leader) return 0;
    const o = this.#o;
    try {
      const live = o.membership.live.map((s) => ({ serverId: s.serverId, room: s.room }));
      if (live.length === 0) return 0;
      const graced = this.#graced();
      const groups = (await o.stores.groups.list()).filter(
        (g) => g.cluster === o.cluster && g.serverGroup === o.serverGroup,
      );
      const backups = new Map(groups.map((g) => [g.id, g.backups]));
      const candidates =
        jobs ?? (await Promise.all(groups.map((g) => o.stores.jobs.listByGroup(g.id)))).flat();
      // A holder in its grace keeps its place, but is never chosen anew for another job.
      const keptOf = (job: Job) =>
        job.holders.filter((h) => o.membership.isLive(h) || graced.some((g) => g.serverId === h));
      const firstOf = jobs === undefined ? new Map<string, number>() : this.#firstOf;
      if (jobs === undefined) {
        for (const job of candidates)
          if (job.status !== 'deleted') countFirstHolder(firstOf, keptOf(job));
        this.#firstOf = firstOf;
      }
      const changedGroups = new Set<string>();
      let changed = 0;
      for (const job of candidates) {
        const wanted = backups.get(job.groupId);
        if (wanted === undefined || job.status === 'deleted') continue;
        const keep = keptOf(job);
        const kept = graced.filter((g) => keep.includes(g.serverId));
        const holders = chooseHolders([...live, ...kept], wanted, { keep, firstOf });
        if (keep.length === 0) countFirstHolder(firstOf, holders);
        if (sameHolders(holders, job)) continue;
        if (await o.stores.jobs.setHolders(job.id, job.version, holders, o.clock.now())) {
          changed++;
          changedGroups.add(job.groupId);
        }
      }
      for (const groupId of changedGroups) await o.coordinator.notifyGroupChanged(groupId);
      if (changed > 0) o.logger.info({ changed }, 'reassigned job holders');
      return changed;
    } catch (error) {
      logTaskFailure(o.health, o.logger, error, 'assigning job holders failed');
      return 0;
    }
  }
}

function sameHolders(holders: readonly string[], job: Job): boolean {
  return holders.length === job.holders.length && holders.every((h, i) => job.holders[i] === h);
}
