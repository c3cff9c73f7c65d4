import type {
  ClientMember,
  Coordinator,
  Leadership,
  Logger,
  ServerMember,
  Unsubscribe,
} from '@carillon/core';
import { SessionEvent, SessionState, silentLogger } from '@carillon/core';
import type { State } from 'node-zookeeper-client';
import zookeeper from 'node-zookeeper-client';
import { CoordinationErrorCode, coordinationError } from '../errors.js';
import { parseConnectionString } from './connection-string.js';
import { ClusterLayout } from './cluster-layout.js';
import { bump, readMembers, removeIfPresent, zkCode } from './zk-calls.js';
import { ElectionCampaign } from './zookeeper-election.js';
import { RegisteredMembers } from './zookeeper-members.js';
import { closeSession, closeSessionAndWait, openSession } from './zookeeper-session.js';
import type { Session } from './zookeeper-session.js';
import { ChangeWatch, ServerWatch } from './zookeeper-watches.js';

/** Options of {@link ZooKeeperCoordinator}. */
export interface ZooKeeperCoordinatorOptions {
  /** `host:port[,host:port...][/chroot]`; without a chroot the layout lives under `/carillon`. */
  readonly connection: string;
  /** The cluster this process belongs to: its nodes live under `<chroot>/<cluster>/`. */
  readonly cluster: number;
  /** The session timeout asked for; ZooKeeper grants one within [2, 20] ticks. Default 6000. */
  readonly sessionTimeoutMs?: number;
  /** How long `start()` (and a call made between sessions) waits for a session. Default 15000. */
  readonly connectTimeoutMs?: number;
  /**
   * Silence (no answer from ZooKeeper) after which the session is reported `suspended`. Default
   * two thirds of the negotiated session timeout: the ensemble expires a session only after a
   * full timeout without hearing from it, so this stops a partitioned server before its peers
   * can see it gone and take over.
   */
  readonly suspendAfterMs?: number;
  /**
   * Digest credentials, `user:password`. With them every node this coordinator creates, and
   * the cluster's directories, can be read and changed only by sessions with the same
   * credentials (ZooKeeper's CREATOR_ALL ACL): another user of a shared ensemble can neither
   * register a server that clients would be sent to nor remove one. Without them the nodes are
   * open to anyone. Every process of a cluster (servers and consoles) needs the same.
   */
  readonly auth?: string;
  readonly logger?: Logger;
}

const CONNECTION_LOSS_ATTEMPTS = 3;

/**
 * The {@link Coordinator} on a ZooKeeper ensemble, through the pure-JS `node-zookeeper-client`
 * with a watchdog for frozen servers. Layout under `<chroot>/<cluster>`: `servers/<serverId>`
 * (ephemeral, the member as JSON), `clients/<group>/<clientId>@<serverId>` (ephemeral, written by
 * the holding server), `election/<role>/<tag>-n_<seq>` (ephemeral sequential), `changes/<group>`
 * (persistent, bumped by consoles). Nothing here is written per fire.
 *
 * After a lost session it opens a new one, registers every server and client again, re-arms the
 * watches and carries on pending campaigns, then reports `reconnected`.
 *
 * @example
 * const coordinator = new ZooKeeperCoordinator({ connection: '127.0.0.1:2181/carillon', cluster: 101 });
 * await coordinator.start();
 */
export class ZooKeeperCoordinator implements Coordinator {
  readonly #servers: string;
  readonly #base: string;
  readonly #cluster: number;
  readonly #requestedTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #suspendAfterMs: number | undefined;
  readonly #auth: string | undefined;
  readonly #layout: ClusterLayout;
  readonly #logger: Logger;
  readonly #stateListeners = new Set<(state: SessionState) => void>();
  readonly #eventListeners = new Set<(event: SessionEvent) => void>();
  readonly #members: RegisteredMembers;
  readonly #campaigns = new Set<ElectionCampaign>();
  readonly #serverWatch: ServerWatch;
  readonly #changeWatch: ChangeWatch;
  #state: SessionState = SessionState.Stopped;
  #session: Session | undefined;
  #epoch = 0;
  #changeWaiters: Array<() => void> = [];

  /** @throws CarillonError `CARILLON_COORDINATION_INVALID_CONNECTION_STRING` */
  constructor(options: ZooKeeperCoordinatorOptions) {
    const parsed = parseConnectionString(options.connection);
    this.#servers = parsed.servers;
    this.#base = `${parsed.root}/${options.cluster}`;
    this.#cluster = options.cluster;
    this.#requestedTimeoutMs = options.sessionTimeoutMs ?? 6_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    this.#suspendAfterMs = options.suspendAfterMs;
    this.#auth = options.auth;
    this.#logger = options.logger ?? silentLogger;
    this.#layout = new ClusterLayout(this.#base, options.auth, this.#logger);
    const host = { current: () => this.#usable(), logger: this.#logger };
    this.#serverWatch = new ServerWatch(host, `${this.#base}/servers`);
    this.#changeWatch = new ChangeWatch(host, `${this.#base}/changes`);
    // A node left by this server's previous life goes when that session expires.
    this.#members = new RegisteredMembers(
      this.#base,
      () => 2 * (this.#session?.negotiatedTimeoutMs ?? this.#requestedTimeoutMs) + 1_000,
    );
  }

  /**
   * Where the session stands, checked against the clock: a session silent for `suspendAfterMs`
   * reads (and becomes) `suspended` even before the timer that says so has run, so a check right
   * before a claim is safe after the process was paused or starved.
   */
  get state(): SessionState {
    const session = this.#session;
    if (this.#state === SessionState.Connected && session?.watchdog.overdue === true) {
      this.#onSilent(session.epoch);
    }
    return this.#state;
  }

  /** The session timeout ZooKeeper granted, once connected. */
  get negotiatedSessionTimeoutMs(): number | undefined {
    return this.#session?.negotiatedTimeoutMs;
  }

  /** @throws CarillonError `CARILLON_COORDINATION_UNAVAILABLE` when no session opens in time */
  async start(): Promise<void> {
    if (this.#state !== SessionState.Stopped) return;
    const session = await this.#open();
    try {
      await this.#layout.prepare(session);
    } catch (error) {
      closeSession(session);
      throw error;
    }
    this.#session = session;
    this.#setState(SessionState.Connected, SessionEvent.Connected);
    this.#serverWatch.arm(session);
    await this.#changeWatch.arm(session);
  }

  async stop(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    this.#epoch++;
    this.#members.clear();
    this.#setState(SessionState.Stopped, SessionEvent.Stopped);
    await Promise.all([...this.#campaigns].map((c) => c.end()));
    if (session !== undefined) await closeSessionAndWait(session);
  }

  /** The current session's id in hex as ZooKeeper prints it (`cons`, logs), once connected. */
  get sessionId(): string | undefined {
    const id = this.#session?.client.getSessionId().toString('hex');
    return id === undefined ? undefined : id.replace(/^0+/, '');
  }

  onStateChange(listener: (state: SessionState) => void): Unsubscribe {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  onSessionEvent(listener: (event: SessionEvent) => void): Unsubscribe {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  async registerServer(member: ServerMember): Promise<void> {
    this.#checkCluster(member.cluster);
    await this.#call((s) => this.#members.putServer(s, member));
  }

  async listServers(cluster: number, serverGroup: number): Promise<readonly ServerMember[]> {
    this.#checkCluster(cluster);
    const all = await this.#call((s) => this.#serverWatch.list(s));
    return all.filter((m) => m.serverGroup === serverGroup);
  }

  watchServers(
    cluster: number,
    serverGroup: number,
    listener: (servers: readonly ServerMember[]) => void,
  ): Unsubscribe {
    this.#checkCluster(cluster);
    return this.#serverWatch.subscribe(serverGroup, listener);
  }

  async registerClient(member: ClientMember): Promise<void> {
    await this.#call((s) => this.#members.putClient(s, member));
  }

  async unregisterClient(groupId: string, clientId: string, serverId: string): Promise<void> {
    const path = this.#members.forgetClient({ groupId, clientId, serverId });
    await this.#call((s) => removeIfPresent(s.client, path));
  }

  async listClients(groupId: string): Promise<readonly ClientMember[]> {
    const dir = `${this.#base}/clients/${encodeURIComponent(groupId)}`;
    return this.#call((s) => readMembers<ClientMember>(s.client, dir, true));
  }

  async notifyGroupChanged(groupId: string): Promise<void> {
    const path = `${this.#base}/changes/${encodeURIComponent(groupId)}`;
    await this.#call((s) => bump(s.client, path, s.acls));
  }

  watchGroupChanges(listener: (groupId: string) => void): Unsubscribe {
    return this.#changeWatch.subscribe(listener);
  }

  campaign(role: string): Promise<Leadership> {
    if (this.#state === SessionState.Stopped) return Promise.reject(notStarted());
    const campaign = new ElectionCampaign(
      role,
      `${this.#base}/election/${encodeURIComponent(role)}`,
      {
        ready: () => this.#ready(undefined),
        nextChange: () => this.#nextChange(),
        won: () => undefined,
        ended: (c) => this.#campaigns.delete(c),
      },
    );
    this.#campaigns.add(campaign);
    return campaign.run();
  }

  async #open(): Promise<Session> {
    const epoch = ++this.#epoch;
    return openSession({
      servers: this.#servers,
      auth: this.#auth,
      epoch,
      requestedTimeoutMs: this.#requestedTimeoutMs,
      connectTimeoutMs: this.#connectTimeoutMs,
      suspendAfterMs: this.#suspendAfterMs,
      logger: this.#logger,
      onState: (session, state) => this.#onClientState(session, state),
      onSilent: () => this.#onSilent(epoch),
      onAnswer: () => this.#onAnswer(epoch),
    });
  }

  #onClientState(session: Session, state: State): void {
    if (session.epoch !== this.#epoch) return;
    this.#logger.debug({ state: state.name }, 'coordinator: client state');
    switch (state.code) {
      case zookeeper.State.SYNC_CONNECTED.code:
        session.watchdog.contact();
        if (this.#state === SessionState.Suspended) {
          this.#logger.info({}, 'coordinator: ZooKeeper session back');
          this.#setState(SessionState.Connected, SessionEvent.Reconnected);
        }
        break;
      case zookeeper.State.DISCONNECTED.code:
        if (this.#state === SessionState.Connected) {
          this.#logger.warn({}, 'coordinator: disconnected from ZooKeeper');
          this.#emit(SessionEvent.Disconnected);
        }
        break;
      case zookeeper.State.EXPIRED.code:
        void this.#renew(session);
        break;
      default:
        break;
    }
  }

  // Suspended without the connection dropping (a stalled event loop, a slow server): the
  // session answers again, so it is usable again.
  #onAnswer(epoch: number): void {
    if (epoch !== this.#epoch || this.#state !== SessionState.Suspended) return;
    this.#logger.info({}, 'coordinator: ZooKeeper answers again');
    this.#setState(SessionState.Connected, SessionEvent.Reconnected);
  }

  #onSilent(epoch: number): void {
    if (epoch !== this.#epoch || this.#state !== SessionState.Connected) return;
    this.#logger.warn({}, 'coordinator: no answer from ZooKeeper; suspended');
    this.#setState(SessionState.Suspended, SessionEvent.Suspended);
    for (const campaign of this.#campaigns) if (campaign.leads) void campaign.end();
  }

  /** The session expired: a new one, every registration again, the watches re-armed. */
  async #renew(expired: Session): Promise<void> {
    this.#logger.warn({}, 'coordinator: ZooKeeper session expired; opening a new one');
    this.#session = undefined;
    closeSession(expired);
    this.#setState(SessionState.Lost, SessionEvent.Lost);
    for (const campaign of this.#campaigns) if (campaign.leads) void campaign.end();
    for (;;) {
      if (this.#stopped()) return;
      let session: Session | undefined;
      try {
        session = await this.#open();
        await this.#layout.prepare(session);
        await this.#members.putAll(session);
      } catch (error) {
        if (session !== undefined) closeSession(session);
        if (this.#stopped()) return;
        this.#logger.warn({ err: error }, 'coordinator: renewing the session failed; again');
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (session.epoch !== this.#epoch || this.#stopped()) {
        closeSession(session);
        return;
      }
      this.#session = session;
      this.#setState(SessionState.Connected, SessionEvent.Reconnected);
      this.#serverWatch.arm(session);
      void this.#changeWatch.arm(session);
      return;
    }
  }

  /** Runs `fn` on a connected session; again on a dropped connection (each step is idempotent). */
  async #call<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const session = await this.#ready(this.#connectTimeoutMs);
      try {
        return await fn(session);
      } catch (error) {
        const code = zkCode(error);
        const retry =
          (code === zookeeper.Exception.CONNECTION_LOSS ||
            code === zookeeper.Exception.SESSION_EXPIRED) &&
          attempt < CONNECTION_LOSS_ATTEMPTS;
        if (retry) continue;
        if (code === undefined) throw error;
        throw coordinationError(
          CoordinationErrorCode.RequestFailed,
          `ZooKeeper request failed: ${String(error)}`,
          error,
        );
      }
    }
  }

  #stopped(): boolean {
    return this.#state === SessionState.Stopped;
  }

  #usable(): Session | undefined {
    return this.#state === SessionState.Connected ? this.#session : undefined;
  }

  /** The connected session; waits for one (up to `timeoutMs`, or for ever when undefined). */
  async #ready(timeoutMs: number | undefined): Promise<Session> {
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    for (;;) {
      if (this.#state === SessionState.Stopped) throw notStarted();
      const session = this.#usable();
      if (session !== undefined) return session;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw coordinationError(
          CoordinationErrorCode.Unavailable,
          `no ZooKeeper session within ${timeoutMs} ms`,
        );
      }
      await Promise.race([
        this.#nextChange(),
        new Promise((r) => setTimeout(r, Math.min(left, 2_147_483_647)).unref()),
      ]);
    }
  }

  #nextChange(): Promise<void> {
    return new Promise((resolve) => this.#changeWaiters.push(resolve));
  }

  #checkCluster(cluster: number): void {
    if (cluster === this.#cluster) return;
    throw coordinationError(
      CoordinationErrorCode.WrongCluster,
      `this coordinator serves cluster ${this.#cluster}, not ${cluster}`,
      undefined,
      { cluster },
    );
  }

  #setState(state: SessionState, event: SessionEvent): void {
    if (this.#state !== state) {
      this.#state = state;
      for (const l of this.#stateListeners) l(state);
    }
    this.#emit(event);
  }

  #emit(event: SessionEvent): void {
    for (const l of this.#eventListeners) l(event);
    const waiters = this.#changeWaiters;
    this.#changeWaiters = [];
    for (const wake of waiters) wake();
  }
}

function notStarted(): Error {
  return coordinationError(CoordinationErrorCode.NotStarted, 'the coordinator is not started');
}
