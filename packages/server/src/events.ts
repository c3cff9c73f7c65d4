import type { Execution } from '@carillon/core';

/**
 * The server's typed events, named `noun:verb`. They double as metrics and as test hooks:
 * tests wait for them instead of sleeping.
 */
export interface ServerEvents {
  /** Fires this server won, ready for dispatch. */
  'fires:claimed': { readonly executions: readonly Execution[] };
  /** Instants that passed unfired (no server ran, or the server fell behind), with the policy's outcome. */
  'fires:missed': {
    readonly jobId: number;
    readonly instants: readonly number[];
    readonly fired: number;
  };
  'execution:dispatched': { readonly execution: Execution; readonly clientId: string };
  /** The client reported the handler started (told on arrival; its write follows in a batch). */
  'execution:started': {
    readonly executionId: string;
    readonly clientId: string;
    readonly at: number;
  };
  'execution:finished': { readonly execution: Execution };
  /**
   * A fire that waited for a client with a free slot past its job's dispatch timeout; it is
   * recorded `skipped`, never sent, with a `reason` that starts `dispatch timeout:`.
   */
  'execution:unrouted': { readonly execution: Execution; readonly reason: string };
  'execution:skipped': {
    readonly executionId: string;
    readonly jobId: number;
    readonly reason: string;
  };
  'client:connected': { readonly clientId: string; readonly groupId: string };
  'client:disconnected': { readonly clientId: string; readonly groupId: string };
  'jobs:loaded': { readonly count: number };
  /** A standby holder claimed fires whose preferred holder had not (then also `fires:claimed`). */
  'fires:stood-in': { readonly executions: readonly Execution[] };
  /** The coordinator session is suspended or lost: claiming and dispatching stopped. */
  'session:suspended': { readonly event: 'suspended' | 'lost' };
  /** Back in the ServerGroup after `session:suspended`: membership reloaded, claiming again. */
  'session:resumed': Record<string, never>;
  /** The database began failing (transient errors, or a statement left unanswered). */
  'database:failing': { readonly since: number; readonly reason: string };
  /** The database answers again after failing since `since`. */
  'database:recovered': {
    readonly since: number;
    readonly downMs: number;
    readonly failures: number;
  };
  /** A claim of due fires, or a batch of execution changes, answered after `ms`. */
  'database:timed': { readonly operation: 'claim' | 'transition'; readonly ms: number };
  /**
   * A client reported about an attempt of an execution given up since (a later attempt runs,
   * elsewhere or on it): dropped; the execution is not changed by it.
   */
  'report:stale': {
    readonly clientId: string;
    readonly executionId: string;
    readonly attempt: number;
    readonly kind: string;
  };
  /** A client reported about an execution that was not dispatched to it; nothing changed. */
  'report:refused': {
    readonly clientId: string;
    readonly groupId: string;
    readonly executionId: string;
    readonly kind: string;
  };
}

type Listener<K extends keyof ServerEvents> = (payload: ServerEvents[K]) => void;

/** A small typed event emitter; listeners run synchronously in order. */
export class ServerEventBus {
  readonly #listeners = new Map<keyof ServerEvents, Set<(payload: never) => void>>();

  on<K extends keyof ServerEvents>(name: K, listener: Listener<K>): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<K extends keyof ServerEvents>(name: K, payload: ServerEvents[K]): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    for (const listener of set) (listener as Listener<K>)(payload);
  }
}
