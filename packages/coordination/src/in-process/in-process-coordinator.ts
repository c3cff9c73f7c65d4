import type {
  ClientMember,
  Coordinator,
  Leadership,
  ServerMember,
  Unsubscribe,
} from '@carillon/core';
import { SessionState } from '@carillon/core';
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
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.#hub.closeSession(this.#session);
    this.#setState(SessionState.Stopped);
    return Promise.resolve();
  }

  /** Test hook: the session expires (ephemeral entries go), then a new one is opened. */
  expireSession(): void {
    this.#hub.closeSession(this.#session);
    this.#setState(SessionState.Lost);
    this.#session = this.#hub.openSession();
    this.#setState(SessionState.Connected);
  }

  onStateChange(listener: (state: SessionState) => void): Unsubscribe {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  registerServer(member: ServerMember): Promise<void> {
    this.#hub.servers.set(member.serverId, { member, session: this.#session });
    this.#hub.emitServers();
    return Promise.resolve();
  }

  listServers(cluster: number, serverGroup: number): Promise<readonly ServerMember[]> {
    return Promise.resolve(this.#servers(cluster, serverGroup));
  }

  watchServers(
    cluster: number,
    serverGroup: number,
    listener: (servers: readonly ServerMember[]) => void,
  ): Unsubscribe {
    return this.#hub.onServers(() => listener(this.#servers(cluster, serverGroup)));
  }

  registerClient(member: ClientMember): Promise<void> {
    this.#hub.clients.set(clientKey(member.groupId, member.clientId, member.serverId), {
      member,
      session: this.#session,
    });
    return Promise.resolve();
  }

  unregisterClient(groupId: string, clientId: string, serverId: string): Promise<void> {
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

  #servers(cluster: number, serverGroup: number): ServerMember[] {
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
