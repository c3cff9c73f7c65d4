import type { Clock, ExecutionStore, Job, Logger, ServerMember } from '@carillon/core';
import type { DatabaseHealth } from './database/database-health.js';
import type { Dispatcher } from './dispatch/dispatcher.js';
import { Liveness } from './failover/liveness.js';
import { OrphanAdoption } from './failover/orphan-adoption.js';
import { HolderLeadership } from './holders/holder-leadership.js';
import type { JobFollower } from './jobs/job-follower.js';
import type { Membership } from './membership.js';
import type { HeldJobs } from './scheduling/held-jobs.js';
import type { ServerOptions } from './server-options.js';

/** What a {@link MembershipFollower} works with. */
export interface MembershipFollowerOptions {
  /** The server's own settings: its ids, coordinator, stores and failover graces. */
  readonly server: ServerOptions;
  readonly membership: Membership;
  readonly executions: ExecutionStore;
  readonly held: HeldJobs;
  readonly dispatcher: Dispatcher;
  /** Followed once this server leads holder assignment, and after each membership change. */
  readonly jobs: JobFollower;
  readonly health: DatabaseHealth;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * This server's place in its ServerGroup: joins it (registration in the coordinator, liveness
 * heartbeat), follows who else is in it and whose clients they hold, campaigns for holder
 * assignment, and adopts the unfinished executions of the servers that leave.
 */
export class MembershipFollower {
  readonly #o: MembershipFollowerOptions;
  readonly #holders: HolderLeadership;
  readonly #orphans: OrphanAdoption;
  #liveness: Liveness | undefined;

  constructor(options: MembershipFollowerOptions) {
    this.#o = options;
    const server = options.server;
    this.#holders = new HolderLeadership({
      cluster: server.cluster,
      serverGroup: server.serverGroup,
      stores: server.stores,
      coordinator: server.coordinator,
      membership: options.membership,
      clock: options.clock,
      health: options.health,
      logger: options.logger,
      ...(server.holderGraceMs === undefined ? {} : { graceMs: server.holderGraceMs }),
    });
    this.#orphans = new OrphanAdoption({
      clock: options.clock,
      logger: options.logger,
      serverId: server.serverId,
      executions: options.executions,
      held: options.held,
      membership: options.membership,
      dispatcher: options.dispatcher,
      inFlightGraceMs: server.fenceMs ?? 10_000,
    });
  }

  /**
   * Registers this server, reachable at `rpcAddress`, in the coordinator, starts its liveness
   * heartbeat and reads the live members.
   */
  async join(rpcAddress: string): Promise<void> {
    const o = this.#o.server;
    const member: ServerMember = {
      serverId: o.serverId,
      cluster: o.cluster,
      serverGroup: o.serverGroup,
      room: o.room,
      rpcAddress,
    };
    await o.coordinator.registerServer(member);
    this.#liveness = new Liveness({
      record: {
        id: o.serverId,
        cluster: o.cluster,
        serverGroup: o.serverGroup,
        room: o.room,
        rpcAddress,
      },
      servers: o.stores.servers,
      membership: this.#o.membership,
      clock: this.#o.clock,
      logger: this.#o.logger,
      watch: (work) => this.#o.health.watch(work),
      ...(o.livenessWriteMs === undefined ? {} : { writeMs: o.livenessWriteMs }),
      ...(o.goneAfterMs === undefined ? {} : { goneAfterMs: o.goneAfterMs }),
    });
    await this.#liveness.start();
    this.#o.membership.update(
      await o.coordinator.listServers(o.cluster, o.serverGroup),
      this.#o.clock.now(),
    );
  }

  /** Campaigns for holder assignment in the background, until {@link stop}. */
  campaign(): void {
    void this.#holders
      .campaign(() => this.#o.jobs.follow())
      .catch((error: unknown) =>
        this.#o.logger.error({ err: error }, 'campaigning for holder assignment failed'),
      );
  }

  /** Gives holders to those of `jobs` that need them, while this server leads; returns how many. */
  assignHolders(jobs: readonly Job[]): Promise<number> {
    return this.#holders.assign(jobs);
  }

  /** Which of the servers, by id, have a heartbeat that stopped (none before {@link join}). */
  ownersGone(serverIds: readonly string[]): Promise<ReadonlySet<string>> {
    return this.#liveness?.gone(serverIds) ?? Promise.resolve(new Set());
  }

  /** Stops the liveness heartbeat: a server whose session is not live no longer dispatches. */
  pause(): void {
    this.#liveness?.pause();
  }

  resume(): void {
    this.#liveness?.resume();
  }

  stop(): void {
    this.#holders.stop();
    this.#orphans.stop();
    this.#liveness?.pause();
  }

  /** Reads the live members again (the session came back) and acts on the change. */
  async reload(): Promise<void> {
    const o = this.#o.server;
    await this.onMembership(await o.coordinator.listServers(o.cluster, o.serverGroup));
  }

  async onMembership(servers: readonly ServerMember[]): Promise<void> {
    const left = this.#o.membership.update(servers, this.#o.clock.now());
    this.#o.dispatcher.forgetForeignOverlap();
    await this.#holders.assign();
    try {
      for (const dead of left) await this.#orphans.adopt(dead);
    } catch (error) {
      this.#o.logger.error({ err: error }, 'adopting executions of a departed server failed');
    }
    await this.#o.jobs.follow();
  }

  /**
   * Which peers hold streams of clients of the held jobs' groups (their registrations in the
   * coordinator): a holder with none for a job is not its preferred holder (see Membership).
   * Reads only; a read that fails keeps the last one.
   */
  async readClients(): Promise<void> {
    const groupIds = new Set([...this.#o.held.values()].map((job) => job.groupId));
    this.#o.membership.keepClientsOf(groupIds);
    for (const groupId of groupIds) {
      try {
        this.#o.membership.setClients(
          groupId,
          await this.#o.server.coordinator.listClients(groupId),
        );
      } catch (error) {
        this.#o.logger.debug({ err: error, groupId }, 'reading the group’s clients failed');
        return;
      }
    }
  }

  /**
   * A server can die unseen (this server was itself cut off when its session went, say): any
   * server of the group out of the membership and silent past the grace has its unfinished
   * executions adopted here, for the jobs this server now prefers.
   */
  async adoptFromDeparted(): Promise<void> {
    try {
      const gone =
        (await this.#liveness?.departed(this.#o.server.orphanGraceMs ?? 5_000, 3_600_000)) ?? [];
      for (const dead of gone) await this.#orphans.adopt(dead);
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'looking for executions of departed servers failed');
    }
  }
}
