import type {
  ClientMember,
  Coordinator,
  Leadership,
  ServerMember,
  Unsubscribe,
} from '@carillon/core';
import { SessionEvent, SessionState } from '@carillon/core';
import { InProcessHub } from './in-process-hub.js';

/**
 * The {@link Coordinator} for one process: `carillon dev` and tests. Coordinators that share an
 * {@link InProcessHub} see each other's servers, clients, changes and elections.
 *
 * @example
 * const hub = new InProcessHub();
 * const a = new InProcessCoordinator(hub); await a.start();
 */
export class InProcessCoordinator implements Coordinator {
  readonly #hub: InProcessHub;
  readonly #stateListeners = new Set<(state: SessionState) => void>();
  readonly #eventListeners = new Set<(event: SessionEvent) => void>();
  // What this coordinator registered, made again under a new session as ZooKeeper's would.
  readonly #servers = new Map<string, ServerMember>();
  readonly #clients = new Map<string, ClientMember>();
  #session = 0;
  #state: SessionState = SessionState.Stopped;

  constructor(hub: InProcessHub = new InProcessHub()) {
    this.#hub = hub;
  }

  get state(): SessionState {
    return this.#state;
  }

  start(): Promise<void> {
    this.#session = this.#hub.openSession();
    this.#setState(SessionState.Connected);
    this.#emit(SessionEvent.Connected);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.#hub.closeSession(this.#session);
    this.#servers.clear();
    this.#clients.clear();
    this.#setState(SessionState.Stopped);
    this.#emit(SessionEvent.Stopped);
    return Promise.resolve();
  }

  /**
   * Test hook: the session expires (ephemeral entries go, leadership is lost), then a new one
   * is opened and this coordinator's servers and clients are registered again.
   */
  expireSession(): void {
    this.#hub.closeSession(this.#session);
    this.#setState(SessionState.Lost);
    this.#emit(SessionEvent.Lost);
    this.#session = this.#hub.openSession();
    for (const member of this.#servers.values()) this.#putServer(member);
    for (const member of this.#clients.values()) this.#putClient(member);
    this.#setState(SessionState.Connected);
    this.#emit(SessionEvent.Reconnected);
  }

  onStateChange(listener: (state: SessionState) => void): Unsubscribe {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  onSessionEvent(listener: (event: SessionEvent) => void): Unsubscribe {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  registerServer(member: ServerMember): Promise<void> {
    this.#servers.set(member.serverId, member);
    this.#putServer(member);
    return Promise.resolve();
  }

  listServers(cluster: number, serverGroup: number): Promise<readonly ServerMember[]> {
    return Promise.resolve(this.#liveServers(cluster, serverGroup));
  }

  watchServers(
    cluster: number,
    serverGroup: number,
    listener: (servers: readonly ServerMember[]) => void,
  ): Unsubscribe {
    return this.#hub.onServers(() => listener(this.#liveServers(cluster, serverGroup)));
  }

  registerClient(member: ClientMember): Promise<void> {
    this.#clients.set(clientKey(member.groupId, member.clientId, member.serverId), member);
    this.#putClient(member);
    return Promise.resolve();
  }

  unregisterClient(groupId: string, clientId: string, serverId: string): Promise<void> {
    this.#clients.delete(clientKey(groupId, clientId, serverId));
    this.#hub.clients.delete(clientKey(groupId, clientId, serverId));
    return Promise.resolve();
  }

  listClients(groupId: string): Promise<readonly ClientMember[]> {
    const members = [...this.#hub.clients.values()]
      .map((e) => e.member)
      .filter((m) => m.groupId === groupId);
    return Promise.resolve(members);
  }

  notifyGroupChanged(groupId: string): Promise<void> {
    this.#hub.emitChange(groupId);
    return Promise.resolve();
  }

  watchGroupChanges(listener: (groupId: string) => void): Unsubscribe {
    return this.#hub.onChange(listener);
  }

  async campaign(role: string): Promise<Leadership> {
    for (;;) {
      const current = this.#hub.leaders.get(role);
      if (current === undefined) break;
      await new Promise<void>((resolve) => current.waiters.push(resolve));
    }
    const session = this.#session;
    let onLost: () => void = () => undefined;
    const lost = new Promise<void>((resolve) => (onLost = resolve));
    const entry = { session, waiters: [onLost] };
    this.#hub.leaders.set(role, entry);
    return {
      role,
      lost,
      release: () => {
        if (this.#hub.leaders.get(role) === entry) {
          this.#hub.leaders.delete(role);
          for (const wake of entry.waiters) wake();
        }
        return Promise.resolve();
      },
    };
  }

  #putServer(member: ServerMember): void {
    this.#hub.servers.set(member.serverId, { member, session: this.#session });
    this.#hub.emitServers();
  }

  #putClient(member: ClientMember): void {
    this.#hub.clients.set(clientKey(member.groupId, member.clientId, member.serverId), {
      member,
      session: this.#session,
    });
  }

  #emit(event: SessionEvent): void {
    for (const l of this.#eventListeners) l(event);
  }

  #liveServers(cluster: number, serverGroup: number): ServerMember[] {
    return [...this.#hub.servers.values()]
      .map((e) => e.member)
      .filter((m) => m.cluster === cluster && m.serverGroup === serverGroup)
      .sort((a, b) => (a.serverId < b.serverId ? -1 : 1));
  }

  #setState(state: SessionState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const l of this.#stateListeners) l(state);
  }
}

function clientKey(groupId: string, clientId: string, serverId: string): string {
  return `${groupId}/${clientId}/${serverId}`;
}
