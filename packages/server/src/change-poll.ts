import type { Clock, Logger } from '@carillon/core';
import { parseTaskGroupId } from '@carillon/core';
import type { Dispatcher } from './dispatch/dispatcher.js';
import type { JobFollower } from './jobs/job-follower.js';
import type { MembershipFollower } from './membership-follower.js';
import type { RequestPoller } from './requests/request-poller.js';
import type { StandbyWatch } from './scheduling/standby-watch.js';
import type { SessionGuard } from './session-guard.js';

/** What a {@link ChangePoll} works with. */
export interface ChangePollOptions {
  readonly cluster: number;
  readonly serverGroup: number;
  /** Default 2,000 ms. */
  readonly pollMs?: number;
  readonly jobs: JobFollower;
  readonly requests: RequestPoller;
  readonly members: MembershipFollower;
  readonly dispatcher: Dispatcher;
  readonly standby: StandbyWatch;
  readonly session: SessionGuard;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Follows what changed elsewhere: reloads a task group's jobs and looks for requests on the
 * group's change notice, and polls for all of it as a safety net.
 */
export class ChangePoll {
  readonly #o: ChangePollOptions;
  #pollTimer: NodeJS.Timeout | undefined;
  #standbyLogged = { reads: 0, at: 0 };

  constructor(options: ChangePollOptions) {
    this.#o = options;
  }

  /**
   * A safety net under the coordinator's notices (and, for a server alone without a shared
   * coordinator, the only way to learn of changes): reload, then look for requests.
   */
  start(): void {
    this.#pollTimer = setInterval(() => void this.#poll(), this.#o.pollMs ?? 2_000);
  }

  stop(): void {
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
  }

  onGroupChanged(groupId: string): void {
    try {
      const id = parseTaskGroupId(groupId);
      if (id.cluster !== this.#o.cluster || id.serverGroup !== this.#o.serverGroup) return;
    } catch {
      return;
    }
    void this.#o.jobs.follow().then(() => this.#o.requests.pickUp());
  }

  async #poll(): Promise<void> {
    this.#logStandby();
    await this.#o.dispatcher
      .sweepForeignOverlap()
      .catch((error: unknown) =>
        this.#o.logger.debug({ err: error }, 'checking executions of other owners failed'),
      );
    await this.#o.jobs.follow();
    await this.#o.members.readClients();
    await this.#o.requests.pickUp();
    if (!this.#o.session.suspended) await this.#o.members.adoptFromDeparted();
  }

  /** A line every ten polls or so when the standby watch did anything: its cost, measured. */
  #logStandby(): void {
    const counts = this.#o.standby.counts;
    const now = this.#o.clock.now();
    if (counts.reads === this.#standbyLogged.reads || now - this.#standbyLogged.at < 10_000) return;
    this.#standbyLogged = { reads: counts.reads, at: now };
    this.#o.logger.info(counts, 'standby watch');
  }
}
