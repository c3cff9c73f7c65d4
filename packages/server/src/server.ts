import type {
  Clock,
  Execution,
  Job,
  Logger,
  ServerMember,
  Stores,
  Unsubscribe,
} from '@carillon/core';
import { SystemClock, chooseHolders, parseTaskGroupId, silentLogger } from '@carillon/core';
import { Dispatcher } from './dispatch/dispatcher.js';
import { ServerEventBus } from './events.js';
import { Membership } from './membership.js';
import { ClientEndpoint } from './rpc/client-endpoint.js';
import { HeldJobs } from './scheduling/held-jobs.js';
import { Scheduler } from './scheduling/scheduler.js';
import type { ServerOptions } from './server-options.js';

/** Lifecycle of a {@link CarillonServer}. */
export type ServerState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * One scheduling server: holds its jobs, claims their fires, dispatches them to clients over
 * gRPC, records what happens, and takes over the work of peers that leave.
 *
 * @example
 * const server = await CarillonServer.create({ serverId: 's1', cluster: 101, serverGroup: 1, room: 'a', stores, coordinator });
 * await server.start();
 * await server.stop();
 */
export class CarillonServer {
  readonly events = new ServerEventBus();
  readonly #o: ServerOptions;
  readonly #stores: Stores;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #held = new HeldJobs();
  readonly #membership: Membership;
  readonly #scheduler: Scheduler;
  readonly #dispatcher: Dispatcher;
  readonly #unsubscribe: Unsubscribe[] = [];
  #endpoint: ClientEndpoint | undefined;
  #state: ServerState = 'created';
  #pollTimer: NodeJS.Timeout | undefined;
  #jobChangeSeq = 0;
  #following: Promise<void> = Promise.resolve();
  #followQueued: Promise<void> | undefined;
  #leader = false;

  private constructor(options: ServerOptions) {
    this.#o = options;
    this.#stores = options.stores;
    this.#clock = options.clock ?? new SystemClock();
    this.#logger = (options.logger ?? silentLogger).child({ serverId: options.serverId });
    this.#membership = new Membership(options.serverId);
    const common = { clock: this.#clock, events: this.events, logger: this.#logger };
    this.#scheduler = new Scheduler({
      ...common,
      serverId: options.serverId,
      executions: this.#stores.executions,
      shouldClaim: (job) => this.#membership.isPreferred(job),
      ...(options.leadMs === undefined ? {} : { leadMs: options.leadMs }),
      ...(options.misfireThresholdMs === undefined
        ? {}
        : { misfireThresholdMs: options.misfireThresholdMs }),
      ...(options.fireAllCap === undefined ? {} : { fireAllCap: options.fireAllCap }),
    });
    this.#dispatcher = new Dispatcher({
      ...common,
      serverId: options.serverId,
      executions: this.#stores.executions,
      jobOf: (id) => this.#held.get(id),
      fenceMs: options.fenceMs ?? 10_000,
    });
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
  get stats(): { held: number; scheduled: number; inFlight: number; waiting: number } {
    return {
      held: this.#held.size,
      scheduled: this.#scheduler.scheduledJobs,
      inFlight: this.#dispatcher.inFlight,
      waiting: this.#dispatcher.waitingForClient,
    };
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
      serverId: o.serverId,
      cluster: o.cluster,
      serverGroup: o.serverGroup,
      stores: this.#stores,
      coordinator: o.coordinator,
      dispatcher: this.#dispatcher,
      clock: this.#clock,
      logger: this.#logger,
      heartbeatIntervalMs: o.heartbeatIntervalMs ?? 2_000,
      fenceMs,
    });
    const member: ServerMember = {
      serverId: o.serverId,
      cluster: o.cluster,
      serverGroup: o.serverGroup,
      room: o.room,
      rpcAddress: this.rpcAddress,
    };
    await o.coordinator.registerServer(member);
    await this.#stores.servers.upsert({
      id: o.serverId,
      cluster: o.cluster,
      serverGroup: o.serverGroup,
      room: o.room,
      rpcAddress: this.rpcAddress,
      lastSeenAt: this.#clock.now(),
    });
    this.#membership.update(await o.coordinator.listServers(o.cluster, o.serverGroup));
    // Loaded before watching: every notice then finds a change sequence to follow from.
    await this.#loadJobs();
    this.#unsubscribe.push(
      o.coordinator.watchServers(
        o.cluster,
        o.serverGroup,
        (servers) => void this.#onMembership(servers),
      ),
      o.coordinator.watchGroupChanges((groupId) => this.#onGroupChanged(groupId)),
      o.coordinator.onStateChange((state) =>
        this.#logger.info({ state }, 'coordinator session state'),
      ),
    );
    void this.#campaign();
    await this.#recover(o.recoveryGraceMs ?? fenceMs + 5_000);
    this.#scheduler.start();
    await this.#pickUpRequests();
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
    await this.#scheduler.stop();
    await this.#dispatcher.stop();
    await this.#endpoint?.close();
    this.#state = 'stopped';
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Loads every job this server holds; from then on, changes are followed. */
  async #loadJobs(): Promise<void> {
    // The sequence is read first: a change made during the load is then seen again, harmlessly.
    this.#jobChangeSeq = await this.#stores.jobs.changeSeq();
    const jobs = await this.#stores.jobs.listByHolder(this.#o.serverId);
    await this.#schedule(this.#held.replaceAll(jobs));
  }

  /**
   * Brings the held jobs in line with the job writes since the last look: one indexed read
   * that finds nothing most of the time, however many jobs the server holds. Notices that
   * arrive while it runs are folded into one more look after it.
   */
  #followJobs(): Promise<void> {
    if (this.#followQueued !== undefined) return this.#followQueued;
    const next = this.#following
      .then(async () => {
        this.#followQueued = undefined;
        for (;;) {
          const { jobs, seq } = await this.#stores.jobs.listChangedSince(this.#jobChangeSeq);
          this.#jobChangeSeq = seq;
          if (jobs.length === 0) return;
          // New jobs have no holders while no server was known to the console.
          const reassigned = this.#leader ? await this.#assignHolders(jobs) : 0;
          await this.#schedule(this.#held.apply(jobs, this.#o.serverId));
          // The reassignments are job writes of their own: look again to pick them up.
          if (reassigned === 0) return;
        }
      })
      .catch((error: unknown) =>
        this.#logger.error({ err: error }, 'following job changes failed'),
      );
    this.#followQueued = next;
    this.#following = next;
    return next;
  }

  async #schedule(held: { removed: number[]; changed: Job[] }): Promise<void> {
    const { removed, changed } = held;
    if (removed.length === 0 && changed.length === 0) return;
    const lastFired =
      changed.length === 0
        ? new Map<number, number>()
        : await this.#stores.executions.lastScheduledAt(changed.map((j) => j.id));
    this.#scheduler.update(changed, removed, lastFired);
    this.events.emit('jobs:loaded', { count: this.#held.size });
  }

  #onGroupChanged(groupId: string): void {
    try {
      const id = parseTaskGroupId(groupId);
      if (id.cluster !== this.#o.cluster || id.serverGroup !== this.#o.serverGroup) return;
    } catch {
      return;
    }
    void this.#followJobs().then(() => this.#pickUpRequests());
  }

  async #poll(): Promise<void> {
    await this.#followJobs();
    await this.#pickUpRequests();
  }

  /** Manual fires of held jobs and cancel requests for our executions. */
  async #pickUpRequests(): Promise<void> {
    try {
      const jobIds = (await this.#stores.executions.listJobsWithUnowned()).filter(
        (id) => this.#held.get(id) !== undefined,
      );
      if (jobIds.length > 0) {
        const taken = await this.#stores.executions.takeUnowned(this.#o.serverId, jobIds);
        if (taken.length > 0) this.#dispatcher.take(taken);
      }
      const cancels = await this.#stores.executions.listCancelRequested(this.#o.serverId);
      if (cancels.length > 0) this.#dispatcher.cancel(cancels);
    } catch (error) {
      this.#logger.error({ err: error }, 'picking up manual fires and cancel requests failed');
    }
  }

  /**
   * Executions this server owned before a restart: claimed ones are dispatched now; those a
   * client was running get `graceMs` to report (a reconnecting client names them in its hello),
   * then are dispatched again with the next attempt.
   */
  async #recover(graceMs: number): Promise<void> {
    const unfinished = await this.#stores.executions.listUnfinishedByOwner(this.#o.serverId);
    const claimed = unfinished.filter((e) => e.state === 'claimed');
    this.#dispatcher.take(claimed);
    const inFlight = unfinished.filter((e) => e.state !== 'claimed');
    if (inFlight.length === 0) return;
    this.#logger.warn(
      { count: inFlight.length, graceMs },
      'executions left in flight by a previous run',
    );
    this.#clock.setTimer(
      this.#clock.now() + graceMs,
      () => void this.#redispatchAbandoned(inFlight),
    );
  }

  async #redispatchAbandoned(executions: readonly Execution[]): Promise<void> {
    const retaken: Execution[] = [];
    for (const e of executions) {
      if (this.#dispatcher.isActive(e.id)) continue;
      const fence = {
        id: e.id,
        from: ['dispatched', 'running'] as const,
        ownerServerId: this.#o.serverId,
        attempt: e.attempt,
      };
      const patch = {
        attempt: e.attempt + 1,
        cause: 'failover' as const,
        clientId: null,
        reason: 'server restarted; no client reported the execution',
      };
      if (await this.#stores.executions.transition(fence, 'claimed', patch))
        retaken.push({ ...e, ...patch, state: 'claimed' });
    }
    this.#dispatcher.take(retaken);
  }

  async #campaign(): Promise<void> {
    const leadership = await this.#o.coordinator.campaign(
      `holders-${this.#o.cluster}-${this.#o.serverGroup}`,
    );
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      await leadership.release();
      return;
    }
    this.#leader = true;
    await this.#assignHolders();
    await this.#followJobs();
    void leadership.lost.then(() => {
      this.#leader = false;
    });
  }

  async #onMembership(servers: readonly ServerMember[]): Promise<void> {
    const left = this.#membership.update(servers);
    if (this.#leader) await this.#assignHolders();
    for (const dead of left) await this.#adoptFrom(dead);
    await this.#followJobs();
  }

  /** Takes over the unfinished executions of a departed server for jobs this server now prefers. */
  async #adoptFrom(deadServerId: string): Promise<void> {
    const mine = [...this.#held.values()].filter(
      (j) => j.holders.includes(deadServerId) && this.#membership.isPreferred(j),
    );
    if (mine.length === 0) return;
    const adopted = await this.#stores.executions.adoptOrphans(
      deadServerId,
      this.#o.serverId,
      mine.map((j) => j.id),
    );
    this.#logger.warn(
      { deadServerId, adopted: adopted.length },
      'adopted executions of a departed server',
    );
    this.#dispatcher.take(adopted);
  }

  /**
   * The holder-assignment leader makes jobs of the ServerGroup held by `backups` live servers,
   * keeping the live holders and choosing replacements by room: `jobs` when given (the jobs
   * just written), every job of the ServerGroup otherwise (membership changed, or leadership
   * began). Returns how many jobs it gave new holders.
   */
  async #assignHolders(jobs?: readonly Job[]): Promise<number> {
    try {
      const live = this.#membership.live.map((s) => ({ serverId: s.serverId, room: s.room }));
      if (live.length === 0) return 0;
      const groups = (await this.#stores.groups.list()).filter(
        (g) => g.cluster === this.#o.cluster && g.serverGroup === this.#o.serverGroup,
      );
      const backups = new Map(groups.map((g) => [g.id, g.backups]));
      const candidates =
        jobs ?? (await Promise.all(groups.map((g) => this.#stores.jobs.listByGroup(g.id)))).flat();
      const changedGroups = new Set<string>();
      let changed = 0;
      for (const job of candidates) {
        const wanted = backups.get(job.groupId);
        if (wanted === undefined || job.status === 'deleted') continue;
        const holders = chooseHolders(
          live,
          wanted,
          job.holders.filter((h) => this.#membership.isLive(h)),
        );
        if (sameHolders(holders, job)) continue;
        if (await this.#stores.jobs.setHolders(job.id, job.version, holders, this.#clock.now())) {
          changed++;
          changedGroups.add(job.groupId);
        }
      }
      for (const groupId of changedGroups) await this.#o.coordinator.notifyGroupChanged(groupId);
      if (changed > 0) this.#logger.info({ changed }, 'reassigned job holders');
      return changed;
    } catch (error) {
      this.#logger.error({ err: error }, 'assigning job holders failed');
      return 0;
    }
  }
}

function sameHolders(holders: readonly string[], job: Job): boolean {
  return holders.length === job.holders.length && holders.every((h, i) => job.holders[i] === h);
}
