import type { Clock, Logger, Unsubscribe } from '@carillon/core';
import { SessionState, SystemClock, silentLogger } from '@carillon/core';
import { ChangePoll } from './change-poll.js';
import { DatabaseHealth } from './database/database-health.js';
import type { DatabaseStatus } from './database/database-health.js';
import { PatientExecutionStore } from './database/patient-execution-store.js';
import { PatientSubtaskStore } from './database/patient-subtask-store.js';
import { PROTOCOL_LIMITS } from '@carillon/protocol';
import { Dispatcher } from './dispatch/dispatcher.js';
import { ServerEventBus } from './events.js';
import { recoverAfterRestart } from './failover/restart-recovery.js';
import { JobFollower } from './jobs/job-follower.js';
import { Membership } from './membership.js';
import { MembershipFollower } from './membership-follower.js';
import { RequestPoller } from './requests/request-poller.js';
import { ClientEndpoint } from './rpc/client-endpoint.js';
import { HeldJobs } from './scheduling/held-jobs.js';
import { Scheduler } from './scheduling/scheduler.js';
import { StandbyWatch } from './scheduling/standby-watch.js';
import { DEFAULT_CLAIM_AHEAD_MS } from './server-options.js';
import type { ServerOptions } from './server-options.js';
import { SessionGuard } from './session-guard.js';

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
 * lifecycle and wiring; the parts live beside it: `membership-follower.ts` (the ServerGroup:
 * liveness, holder assignment, adoption from departed peers), `session-guard.ts` (pausing
 * while the coordinator session is not live), `change-poll.ts` (change notices and the poll),
 * `jobs/` (following job changes), `failover/` (recovery after a restart), `requests/` (manual
 * fires and cancels), `scheduling/` (claims), `dispatch/` and `rpc/` (clients), `database/`
 * (database health and retried writes).
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
  readonly #dispatcher: Dispatcher;
  readonly #jobs: JobFollower;
  readonly #members: MembershipFollower;
  readonly #requests: RequestPoller;
  readonly #session: SessionGuard;
  readonly #changes: ChangePoll;
  readonly #unsubscribe: Unsubscribe[] = [];
  #endpoint: ClientEndpoint | undefined;
  #state: ServerState = 'created';
  #cancelRecovery: (() => void) | undefined;

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
      ownersGone: (ids) => this.#members.ownersGone(ids),
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
      jobs: stores.jobs,
      fenceMs: options.fenceMs ?? 10_000,
      notifyGroupChanged: (groupId) => options.coordinator.notifyGroupChanged(groupId),
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
      assignHolders: (jobs) => this.#members.assignHolders(jobs),
      newlyHeld: (jobs) => this.#standby.watchClaimedOf(jobs),
    });
    this.#members = new MembershipFollower({
      server: options,
      membership: this.#membership,
      executions: this.#executions,
      held: this.#held,
      dispatcher: this.#dispatcher,
      jobs: this.#jobs,
      health: this.#health,
      clock: this.#clock,
      logger: this.#logger,
    });
    this.#requests = new RequestPoller({
      serverId: options.serverId,
      executions: this.#executions,
      held: this.#held,
      dispatcher: this.#dispatcher,
      health: this.#health,
      logger: this.#logger,
    });
    this.#session = new SessionGuard({
      coordinator: options.coordinator,
      events: this.events,
      logger: this.#logger,
      parts: [
        this.#members,
        this.#standby,
        this.#scheduler,
        {
          pause: () => this.#dispatcher.setSuspended(true),
          resume: () => this.#dispatcher.setSuspended(false),
        },
      ],
      isRunning: () => this.#state === 'running',
      reloadMembership: () => this.#members.reload(),
    });
    this.#changes = new ChangePoll({
      cluster: options.cluster,
      serverGroup: options.serverGroup,
      ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
      jobs: this.#jobs,
      requests: this.#requests,
      members: this.#members,
      dispatcher: this.#dispatcher,
      standby: this.#standby,
      session: this.#session,
      clock: this.#clock,
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
        rateCoolDownMs: o.rateCoolDownMs ?? 3_000,
        tokenCheckMs: o.tokenCheckMs ?? 500,
        refusedHelloLimit: o.refusedHelloLimit ?? 50,
        refusedHelloCoolDownMs: o.refusedHelloCoolDownMs ?? 10_000,
        maxPendingHellos: o.maxPendingHellos ?? 200,
      },
    });
    await this.#members.join(this.rpcAddress);
    // Loaded before watching: every notice then finds a change sequence to follow from.
    await this.#jobs.load();
    await this.#members.readClients();
    this.#unsubscribe.push(
      o.coordinator.watchServers(
        o.cluster,
        o.serverGroup,
        (servers) => void this.#members.onMembership(servers),
      ),
      o.coordinator.watchGroupChanges((groupId) => this.#changes.onGroupChanged(groupId)),
      o.coordinator.onSessionEvent((event) => void this.#session.onSessionEvent(event)),
    );
    this.#members.campaign();
    if (o.coordinator.state !== SessionState.Connected) this.#session.suspend('suspended');
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
    this.#changes.start();
    this.#state = 'running';
    this.#logger.info({ rpcAddress: this.rpcAddress, jobs: this.#held.size }, 'server started');
  }

  /** Stops claiming, closes client streams, flushes what is buffered. */
  async stop(): Promise<void> {
    if (this.#state !== 'running' && this.#state !== 'starting') return;
    this.#state = 'stopping';
    this.#changes.stop();
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#members.stop();
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
}
