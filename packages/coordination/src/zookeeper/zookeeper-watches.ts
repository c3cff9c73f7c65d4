import type { Logger, ServerMember, Unsubscribe } from '@carillon/core';
import type { SessionHandle } from './zookeeper-election.js';
import { getChildren, getData, isNoNode } from './zk-calls.js';

/** What a watch needs from its coordinator. */
export interface WatchHost {
  /** The current session when it is usable, else undefined (the watch is re-armed later). */
  current(): SessionHandle | undefined;
  readonly logger: Logger;
}

interface ServerListener {
  readonly serverGroup: number;
  readonly fn: (servers: readonly ServerMember[]) => void;
  last: string | undefined;
}

/**
 * The live servers of the cluster: one children watch on `servers/`, armed at start and shared
 * by every listener, re-armed on each fire and on each new session. A listener hears the list
 * whenever it differs from the last it heard, starting from the last list read when it came.
 * Reads still in flight then may show a change made before it came: it hears that too. Better
 * told twice than never.
 */
export class ServerWatch {
  readonly #host: WatchHost;
  readonly #dir: string;
  readonly #listeners = new Set<ServerListener>();
  #known: readonly ServerMember[] | undefined;
  #armedEpoch = -1;
  #nextRead = 0;
  #appliedRead = -1;

  constructor(host: WatchHost, dir: string) {
    this.#host = host;
    this.#dir = dir;
  }

  subscribe(serverGroup: number, fn: (servers: readonly ServerMember[]) => void): Unsubscribe {
    const known = this.#known;
    const listener: ServerListener = {
      serverGroup,
      fn,
      last: known === undefined ? undefined : key(known, serverGroup),
    };
    this.#listeners.add(listener);
    const session = this.#host.current();
    if (session !== undefined && this.#armedEpoch !== session.epoch) this.arm(session);
    return () => this.#listeners.delete(listener);
  }

  /** Arms (again) the watch for a new session. */
  arm(session: SessionHandle): void {
    this.#armedEpoch = session.epoch;
    void this.#read(session, true).catch((error: unknown) => {
      // A failed read on the current session (not one ended meanwhile) leaves no watch: say so.
      if (this.#host.current()?.epoch !== session.epoch) return;
      this.#host.logger.warn({ err: error }, 'coordinator: reading servers failed');
    });
  }

  /** Reads the servers now (no watch) and lets listeners hear if the list changed. */
  async list(session: SessionHandle): Promise<readonly ServerMember[]> {
    return this.#read(session, false);
  }

  async #read(session: SessionHandle, watch: boolean): Promise<readonly ServerMember[]> {
    const read = this.#nextRead++;
    const onFire = (): void => {
      const now = this.#host.current();
      if (now !== undefined && now.epoch === session.epoch) this.arm(now);
    };
    const names = await getChildren(session.client, this.#dir, watch ? onFire : undefined);
    const members: ServerMember[] = [];
    for (const name of names) {
      try {
        const { data } = await getData(session.client, `${this.#dir}/${name}`);
        if (data !== undefined) members.push(JSON.parse(data.toString('utf8')) as ServerMember);
      } catch (error) {
        if (!isNoNode(error)) throw error;
      }
    }
    members.sort((a, b) => (a.serverId < b.serverId ? -1 : 1));
    // Replies come in order on one session, so a later read is never older: keep the newest.
    if (read > this.#appliedRead) {
      this.#appliedRead = read;
      this.#known = members;
      for (const listener of this.#listeners) {
        const now = key(members, listener.serverGroup);
        if (listener.last === undefined) listener.last = now;
        else if (now !== listener.last) {
          listener.last = now;
          listener.fn(members.filter((m) => m.serverGroup === listener.serverGroup));
        }
      }
    }
    return members;
  }
}

function key(members: readonly ServerMember[], serverGroup: number): string {
  return JSON.stringify(members.filter((m) => m.serverGroup === serverGroup));
}

/**
 * Change notices: one persistent node per task group under `changes/`, bumped (setData) by
 * consoles. Armed at start, before anyone can listen, so that no bump after a listener came is
 * taken for the baseline. A children watch finds new groups; a data watch per group sees each bump. A watch is
 * re-armed by the same read that takes the node's version, so a bump between a fire and the
 * re-arm is seen in that read; versions are remembered across sessions, so a bump made while
 * the session was lost is reported when a new one re-arms.
 */
export class ChangeWatch {
  readonly #host: WatchHost;
  readonly #dir: string;
  readonly #listeners = new Set<(groupId: string) => void>();
  readonly #versions = new Map<string, number>();
  readonly #armed = new Map<string, number>();
  #armedEpoch = -1;
  #baselineTaken = false;

  constructor(host: WatchHost, dir: string) {
    this.#host = host;
    this.#dir = dir;
  }

  subscribe(fn: (groupId: string) => void): Unsubscribe {
    this.#listeners.add(fn);
    const session = this.#host.current();
    if (session !== undefined && this.#armedEpoch !== session.epoch) void this.arm(session);
    return () => this.#listeners.delete(fn);
  }

  /**
   * Arms (again) the watches for a session: at start (the versions found are the baseline, no
   * notice) and after a new session (a version above the one known is a notice).
   */
  async arm(session: SessionHandle): Promise<void> {
    this.#armedEpoch = session.epoch;
    const baseline = !this.#baselineTaken;
    this.#baselineTaken = true;
    try {
      await this.#armChildren(session, baseline);
    } catch (error) {
      this.#warn(session, error);
    }
  }

  // A failure on a session that has ended meanwhile is no news: the next session re-arms.
  #warn(session: SessionHandle, error: unknown): void {
    if (this.#host.current()?.epoch !== session.epoch) return;
    this.#host.logger.warn({ err: error }, 'coordinator: watching changes failed');
  }

  async #armChildren(session: SessionHandle, baseline: boolean): Promise<void> {
    const onFire = (): void => {
      const now = this.#host.current();
      if (now === undefined || now.epoch !== session.epoch) return;
      void this.#armChildren(now, false).catch((error: unknown) => this.#warn(now, error));
    };
    const names = await getChildren(session.client, this.#dir, onFire);
    await Promise.all(
      names
        .filter((name) => this.#armed.get(name) !== session.epoch)
        .map((name) => this.#armGroup(session, name, baseline)),
    );
  }

  async #armGroup(session: SessionHandle, name: string, baseline: boolean): Promise<void> {
    this.#armed.set(name, session.epoch);
    const onFire = (): void => {
      const now = this.#host.current();
      if (now === undefined || now.epoch !== session.epoch) return;
      void this.#armGroup(now, name, false).catch((error: unknown) => this.#warn(now, error));
    };
    let version: number;
    try {
      version = (await getData(session.client, `${this.#dir}/${name}`, onFire)).stat.version;
    } catch (error) {
      if (!isNoNode(error)) throw error;
      this.#armed.delete(name);
      return;
    }
    const before = this.#versions.get(name);
    if (before !== undefined && version <= before) return;
    this.#versions.set(name, version);
    if (baseline) return;
    const groupId = decodeURIComponent(name);
    for (const fn of this.#listeners) fn(groupId);
  }
}
