import type { ClientMember, ServerMember } from '@carillon/core';

type Listener<T> = (value: T) => void;

/**
 * The shared state of in-process coordinators: what a ZooKeeper ensemble holds, kept in memory.
 * Several {@link InProcessCoordinator}s on one hub see each other, as servers on one ensemble do.
 */
export class InProcessHub {
  readonly servers = new Map<string, { member: ServerMember; session: number }>();
  readonly clients = new Map<string, { member: ClientMember; session: number }>();
  readonly leaders = new Map<string, { session: number; waiters: Array<() => void> }>();
  readonly #serverListeners = new Set<Listener<void>>();
  readonly #changeListeners = new Set<Listener<string>>();
  #nextSession = 1;

  /** A new session number; ephemeral entries are tied to it. */
  openSession(): number {
    return this.#nextSession++;
  }

  /** Drops every ephemeral entry of `session`, as an expired ZooKeeper session does. */
  closeSession(session: number): void {
    let serversChanged = false;
    for (const [id, entry] of this.servers) {
      if (entry.session === session) {
        this.servers.delete(id);
        serversChanged = true;
      }
    }
    for (const [key, entry] of this.clients) {
      if (entry.session === session) this.clients.delete(key);
    }
    for (const [role, entry] of this.leaders) {
      if (entry.session !== session) continue;
      this.leaders.delete(role);
      for (const wake of entry.waiters) wake();
    }
    if (serversChanged) this.emitServers();
  }

  onServers(listener: Listener<void>): () => void {
    this.#serverListeners.add(listener);
    return () => this.#serverListeners.delete(listener);
  }

  onChange(listener: Listener<string>): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  emitServers(): void {
    // Watches fire asynchronously in ZooKeeper; keep that so callers cannot depend on reentrancy.
    queueMicrotask(() => {
      for (const l of this.#serverListeners) l();
    });
  }

  emitChange(groupId: string): void {
    queueMicrotask(() => {
      for (const l of this.#changeListeners) l(groupId);
    });
  }
}
