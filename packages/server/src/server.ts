import type { Clock, Logger, ServerMember, Unsubscribe } from '@carillon/core';
import {
  SessionEvent,
  SessionState,
  SystemClock,
  parseTaskGroupId,
  silentLogger,
} from '@carillon/core';
import { DatabaseHealth } from './database/database-health.js';
import type { DatabaseStatus } from './database/database-health.js';
import { PatientExecutionStore } from './database/patient-execution-store.js';
import { PatientSubtaskStore } from './database/patient-subtask-store.js';
import { PROTOCOL_LIMITS } from '@carillon/protocol';
import { Dispatcher } from './dispatch/dispatcher.js';
import { ServerEventBus } from './events.js';
import { OrphanAdoption } from './failover/orphan-adoption.js';
import { recoverAfterRestart } from './failover/restart-recovery.js';
import { HolderLeadership } from './holders/holder-leadership.js';
import { JobFollower } from './jobs/job-follower.js';
import { Membership } from './membership.js';
import { RequestPoller } from './requests/request-poller.js';
import { ClientEndpoint } from './rpc/client-endpoint.js';
import { Liveness } from './failover/liveness.js';
import { HeldJobs } from './scheduling/held-jobs.js';
import { Scheduler } from './scheduling/scheduler.js';
import { StandbyWatch } from './scheduling/standby-watch.js';
import { DEFAULT_CLAIM_AHEAD_MS } from './server-options.js';
import type { ServerOptions } from './server-options.js';

/** What a server holds and does, at a glance (see {@link CarillonServer.stats}). */
export interface ServerStats {
  readonly held: number;
  readonly scheduled: number;
  readonly inFlight: number;
  /** Fires waiting for a client with a free slot. */
  readonly waiting: number;
  /** Free slots of the clients connected to this server, by their declared capacity. */
  readonly freeClientSlots: number;
}

/** Lifecycle of a {@link CarillonServer}. */
export type ServerState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

/** What {@link CarillonServer.health} reports. */
export interface ServerHealth {
  readonly state: ServerState;
  /** Whether the database answers; while it fails, fires wait and writes are retried. */
  readonly database: DatabaseStatus;
}

/**
 * One scheduling server: holds its jobs, claims their fires, dispatches them to clients over
 * gRPC, records what happens, and takes over the work of peers that leave. This file is its
 * lifecycle and wiring; the parts live beside it: `jobs/` (following job changes),
 * `failover/` (recovery after a restart, adoption from departed peers), `holders/` (the
 * holder-assignment leader), `requests/` (manual fires and cancels), `scheduling/` (claims),
 * `dispatch/` and `rpc/` (clients), `database/` (database health and retried writes).
 *
 * @example
 * const server = await CarillonServer.create({ serverId: 's1', cluster: 101, serverGroup: 1, room: 'a', stores, coordinator });
 * await server.start();
 * await server.stop();
 */
export class CarillonServer {
  readonly events = new ServerEventBus();
  readonly #o: ServerOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #held = new HeldJobs();
  readonly #membership: Membership;
  readonly #health: DatabaseHealth;
  readonly #executions: PatientExecutionStore;
  readonly #subtasks: PatientSubtaskStore;
  readonly #scheduler: Scheduler;
  readonly #standby: StandbyWatch;
  #liveness: Liveness | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #jobs: JobFollower;
  readonly #holders: HolderLeadership;
  readonly #requests: RequestPoller;
  readonly #orphans: OrphanAdoption;
  readonly #unsubscribe: Unsubscribe[] = [];
  #endpoint: ClientEndpoint | undefined;
  #state: ServerState = 'created';
  #pollTimer: NodeJS.Timeout | undefined;
  #cancelRecovery: (() => void) | undefined;
  #suspended = false;
  #standbyLogged = { reads: 0, at: 0 };

  private constructor(options: ServerOptions) {
    this.#o = options;
    const stores = options.stores;
    this.#clock = options.clock ?? new SystemClock();
    this.#logger = (options.logger ?? silentLogger).child({ serverId: options.serverId });
    // Read when a fire is due, by then the dispatcher exists.
    this.#membership = new Membership(options.serverId, (job) => this.#dispatcher.canRun(job));
    const common = { clock: this.#clock, events: this.events, logger: this.#logger };
    this.#health = new DatabaseHealth({
      ...common,
      isTransient: (error) => stores.isTransient(error),
      ...(options.databaseStallMs === undefined ? {} : { stallMs: options.databaseStallMs }),
      ...(options.misfireThresholdMs === undefined
        ? {}
        : { mergeGapMs: options.misfireThresholdMs }),
    });
    this.#executions = new PatientExecutionStore(stores.executions, this.#health);
    this.#subtasks = new PatientSubtaskStore(stores.subtasks, this.#health);
    this.#standby = new StandbyWatch({
      ...common,
      serverId: options.serverId,
      executions: this.#executions,
      jobOf: (id) => this.#held.get(id),
      ownersGone: (ids) => this.#liveness?.gone(ids) ?? Promise.resolve(new Set()),
      rescueLater: (job, failed) =>
        !this.#dispatcher.canRun(job) && this.#membership.canRunElsewhere(job, failed),
      ...(options.standbyCheckDelayMs === undefined
        ? {}
        : { checkDelayMs: options.standbyCheckDelayMs }),
    });
    this.#scheduler = new Scheduler({
      ...common,
      serverId: options.serverId,
      executions: this.#executions,
      shouldClaim: (job) => this.#membership.isPreferred(job),
      standBy: (job, at) => this.#standby.watch(job, at),
      isTransient: (error) => stores.isTransient(error),
      databaseTrouble: () => this.#health.troubleWindow,
      ...(options.leadMs === undefined ? {} : { leadMs: options.leadMs }),
      claimAheadMs: options.claimAheadMs ?? DEFAULT_CLAIM_AHEAD_MS,
      ...(options.misfireThresholdMs === undefined
        ? {}
        : { misfireThresholdMs: options.misfireThresholdMs }),
      ...(options.fireAllCap === undefined ? {} : { fireAllCap: options.fireAllCap }),
    });
    this.#dispatcher = new Dispatcher({
      ...common,
      serverId: options.serverId,
      executions: this.#executions,
      subtasks: this.#subtasks,
      jobOf: (id) => this.#held.get(id),
      fenceMs: options.fenceMs ?? 10_000,
      notifyGroupChanged: (groupId) => options.coordinator.notifyGroupChanged(groupId),
    });
    this.#holders = new HolderLeadership({
      cluster: options.cluster,
      serverGroup: options.serverGroup,
      stores,
      coordinator: options.coordinator,
      membership: this.#membership,
      clock: this.#clock,
      health: this.#health,
      logger: this.#logger,
      ...(options.holderGraceMs === undefined ? {} : { graceMs: options.holderGraceMs }),
    });
    this.#jobs = new JobFollower({
      serverId: options.serverId,
      jobs: stores.jobs,
      executions: this.#executions,
      held: this.#held,
      scheduler: this.#scheduler,
      events: this.events,
      health: this.#health,
      logger: this.#logger,
      assignHolders: (jobs) => this.#holders.assign(jobs),
      newlyHeld: (jobs) => this.#standby.watchClaimedOf(jobs),
    });
    this.#orphans = new OrphanAdoption({
      ...common,
      serverId: options.serverId,
      executions: this.#executions,
      held: this.#held,
      membership: this.#membership,
      dispatcher: this.#dispatcher,
      inFlightGraceMs: options.fenceMs ?? 10_000,
    });
    this.#requests = new RequestPoller({
      serverId: options.serverId,
      executions: this.#executions,
      held: this.#held,
      dispatcher: this.#dispatcher,
      health: this.#health,
      logger: this.#logger,
    });
    // A stand-in means the preferred holder stopped claiming, with no change of membership
    // yet: what it ran since this server last looked must be read again (before `take`).
    this.events.on('fires:stood-in', ({ executions }) =>
      this.#dispatcher.forgetForeignOverlap(executions.map((e) => e.jobId)),
    );
    this.events.on('fires:claimed', ({ executions }) => this.#dispatcher.take(executions));
  }

  /** Makes a server; no I/O until {@link start}. */
  static create(options: ServerOptions): Promise<CarillonServer> {
    return Promise.resolve(new CarillonServer(options));
  }

  get state(): ServerState {
    return this.#state;
  }

  get serverId(): string {
    return this.#o.serverId;
  }

  /** The address clients dial (host:port), once started. */
  get rpcAddress(): string {
    if (this.#endpoint === undefined) throw new Error('server not started');
    return this.#o.rpcAdvertisedAddress ?? this.#endpoint.address;
  }

  /** Jobs held, cron jobs under schedule, executions in flight and fires waiting for a client. */
  get stats(): ServerStats {
    return {
      held: this.#held.size,
      scheduled: this.#scheduler.scheduledJobs,
      inFlight: this.#dispatcher.inFlight,
      waiting: this.#dispatcher.waitingForClient,
      freeClientSlots: this.#dispatcher.freeClientSlots,
    };
  }

  /**
   * The server's lifecycle state and whether its database answers. While the database fails
   * (also announced by the events `database:failing` and `database:recovered`, and one log line
   * each), due fires wait unclaimed and are claimed when it answers again, not treated as
   * misfires; changes to executions are held in order and retried.
   */
  get health(): ServerHealth {
    return { state: this.#state, database: this.#health.status };
  }

  /** Binds the gRPC endpoint, joins the ServerGroup, loads held jobs and starts firing. */
  async start(): Promise<void> {
    if (this.#state !== 'created') throw new Error(`cannot start a server that is ${this.#state}`);
    this.#state = 'starting';
    const o = this.#o;
    const fenceMs = o.fenceMs ?? 10_000;
    this.#endpoint = await ClientEndpoint.start({
      host: o.rpcHost ?? '127.0.0.1',
      port: o.rpcPort ?? 0,
      ...(o.rpcTls === undefined ? {} : { tls: o.rpcTls }),
      serverId: o.serverId,
      cluster: o.cluster,
      serverGroup: o.serverGroup,
      stores: o.stores,
      coordinator: o.coordinator,
      dispatcher: this.#dispatcher,
      clock: this.#clock,
      logger: this.#logger,
      events: this.events,
      heartbeatIntervalMs: o.heartbeatIntervalMs ?? 2_000,
      fenceMs,
      limits: {
        helloTimeoutMs: o.helloTimeoutMs ?? 5_000,
        maxMessageBytes: o.maxMessageBytes ?? PROTOCOL_LIMITS.maxMessageBytes,
        maxMessagesPerSecond: o.maxMessagesPerSecond ?? 100_000,
        tokenCheckMs: o.tokenCheckMs ?? 500,
      },
    });
    const member: ServerMember = {
      serverId: o.serverId,
      cluster: o.cluster,
      serverGroup: o.serverGroup,
      room: o.room,
      rpcAddress: this.rpcAddress,
    };
    await o.coordinator.registerServer(member);
    this.#liveness = new Liveness({
      record: {
        id: o.serverId,
        cluster: o.cluster,
        serverGroup: o.serverGroup,
        room: o.room,
        rpcAddress: this.rpcAddress,
      },
      servers: o.stores.servers,
      membership: this.#membership,
      clock: this.#clock,
      logger: this.#logger,
      watch: (work) => this.#health.watch(work),
      ...(o.livenessWriteMs === undefined ? {} : { writeMs: o.livenessWriteMs }),
      ...(o.goneAfterMs === undefined ? {} : { goneAfterMs: o.goneAfterMs }),
    });
    await this.#liveness.start();
    this.#membership.update(
      await o.coordinator.listServers(o.cluster, o.serverGroup),
      this.#clock.now(),
    );
    // Loaded before watching: every notice then finds a change sequence to follow from.
    await this.#jobs.load();
    await this.#readClients();
    this.#unsubscribe.push(
      o.coordinator.watchServers(
        o.cluster,
        o.serverGroup,
        (servers) => void this.#onMembership(servers),
      ),
      o.coordinator.watchGroupChanges((groupId) => this.#onGroupChanged(groupId)),
      o.coordinator.onSessionEvent((event) => void this.#onSessionEvent(event)),
    );
    void this.#holders
      .campaign(() => this.#jobs.follow())
      .catch((error: unknown) =>
        this.#logger.error({ err: error }, 'campaigning for holder assignment failed'),
      );
    if (o.coordinator.state !== SessionState.Connected) this.#suspend('suspended');
    this.#cancelRecovery = await recoverAfterRestart({
      serverId: o.serverId,
      executions: this.#executions,
      dispatcher: this.#dispatcher,
      clock: this.#clock,
      logger: this.#logger,
      graceMs: o.recoveryGraceMs ?? fenceMs + 5_000,
    });
    this.#scheduler.start();
    await this.#requests.pickUp();
    // A safety net under the coordinator's notices (and, for a server alone without a shared
    // coordinator, the only way to learn of changes): reload, then look for requests.
    this.#pollTimer = setInterval(() => void this.#poll(), o.pollMs ?? 2_000);
    this.#state = 'running';
    this.#logger.info({ rpcAddress: this.rpcAddress, jobs: this.#held.size }, 'server started');
  }

  /** Stops claiming, closes client streams, flushes what is buffered. */
  async stop(): Promise<void> {
    if (this.#state !== 'running' && this.#state !== 'starting') return;
    this.#state = 'stopping';
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#holders.stop();
    this.#orphans.stop();
    this.#liveness?.pause();
    this.#standby.pause();
    this.#cancelRecovery?.();
    await this.#scheduler.stop();
    // The last changes get one try each: a server does not wait out a database outage to stop.
    this.#executions.stopRetrying();
    this.#subtasks.stopRetrying();
    await this.#dispatcher.stop();
    await this.#endpoint?.close();
    this.#state = 'stopped';
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * A suspended or lost session may mean this server is partitioned and its peers have taken
   * over: it stops claiming and routing at once (running executions are left to their clients
   * and the fence). Back in touch, it reloads membership and jobs and claims again; the
   * coordinator has already registered it again under a new session.
   */
  async #onSessionEvent(event: SessionEvent): Promise<void> {
    this.#logger.info({ event, state: this.#o.coordinator.state }, 'coordinator session event');
    if (event === SessionEvent.Suspended || event === SessionEvent.Lost) {
      this.#suspend(event);
      return;
    }
    if (event !== SessionEvent.Reconnected && event !== SessionEvent.Connected) return;
    if (!this.#suspended || this.#state !== 'running') return;
    const o = this.#o;
    try {
      await this.#onMembership(await o.coordinator.listServers(o.cluster, o.serverGroup));
    } catch (error) {
      this.#logger.error({ err: error }, 'reloading membership after reconnecting failed');
    }
    if (o.coordinator.state !== SessionState.Connected) return;
    this.#suspended = false;
    this.#liveness?.resume();
    this.#standby.resume();
    this.#scheduler.resume();
    this.#dispatcher.setSuspended(false);
    this.events.emit('session:resumed', {});
    this.#logger.info({}, 'claiming and dispatching again');
  }

  #suspend(event: 'suspended' | 'lost'): void {
    if (this.#suspended) return;
    this.#suspended = true;
    this.#liveness?.pause();
    this.#standby.pause();
    this.#scheduler.pause();
    this.#dispatcher.setSuspended(true);
    this.events.emit('session:suspended', { event });
    this.#logger.warn({ event }, 'coordinator session not live: stopped claiming and dispatching');
  }

  #onGroupChanged(groupId: string): void {
    try {
      const id = parseTaskGroupId(groupId);
      if (id.cluster !== this.#o.cluster || id.serverGroup !== this.#o.serverGroup) return;
    } catch {
      return;
    }
    void this.#jobs.follow().then(() => this.#requests.pickUp());
  }

  async #poll(): Promise<void> {
    this.#logStandby();
    await this.#dispatcher
      .sweepForeignOverlap()
      .catch((error: unknown) =>
        this.#logger.debug({ err: error }, 'checking executions of other owners failed'),
      );
    await this.#jobs.follow();
    await this.#readClients();
    await this.#requests.pickUp();
    if (!this.#suspended) await this.#adoptFromDeparted();
  }

  /**
   * Which peers hold streams of clients of the held jobs' groups (their registrations in the
   * coordinator): a holder with none for a job is not its preferred holder (see Membership).
   * Reads only; a read that fails keeps the last one.
   */
  async #readClients(): Promise<void> {
    const groupIds = new Set([...this.#held.values()].map((job) => job.groupId));
    this.#membership.keepClientsOf(groupIds);
    for (const groupId of groupIds) {
      try {
        this.#membership.setClients(groupId, await this.#o.coordinator.listClients(groupId));
      } catch (error) {
        this.#logger.debug({ err: error, groupId }, 'reading the group’s clients failed');
        return;
      }
    }
  }

  /** A line every ten polls or so when the standby watch did anything: its cost, measured. */
  #logStandby(): void {
    const counts = this.#standby.counts;
    const now = this.#clock.now();
    if (counts.reads === this.#standbyLogged.reads || now - this.#standbyLogged.at < 10_000) return;
    this.#standbyLogged = { reads: counts.reads, at: now };
    this.#logger.info(counts, 'standby watch');
  }

  /**
   * A server can die unseen (this server was itself cut off when its session went, say): any
   * server of the group out of the membership and silent past the grace has its unfinished
   * executions adopted here, for the jobs this server now prefers.
   */
  async #adoptFromDeparted(): Promise<void> {
    try {
      const gone =
        (await this.#liveness?.departed(this.#o.orphanGraceMs ?? 5_000, 3_600_000)) ?? [];
      for (const dead of gone) await this.#orphans.adopt(dead);
    } catch (error) {
      this.#logger.warn({ err: error }, 'looking for executions of departed servers failed');
    }
  }

  async #onMembership(servers: readonly ServerMember[]): Promise<void> {
    const left = this.#membership.update(servers, this.#clock.now());
    this.#dispatcher.forgetForeignOverlap();
    await this.#holders.assign();
    try {
      for (const dead of left) await this.#orphans.adopt(dead);
    } catch (error) {
      this.#logger.error({ err: error }, 'adopting executions of a departed server failed');
    }
    await this.#jobs.follow();
  }
}
