import { performance } from 'node:perf_hooks';
import type { Clock, Logger, ServerRecord, Stores } from '@carillon/core';
import type { Membership } from '../membership.js';
import { HeartbeatObserver } from './heartbeat-observer.js';

/** Settings of {@link Liveness}. */
export interface LivenessOptions {
  readonly record: Omit<ServerRecord, 'lastSeenAt'>;
  readonly servers: Stores['servers'];
  readonly membership: Membership;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often this server writes its heartbeat and reads its peers'. Default 100 ms. */
  readonly writeMs?: number;
  /**
   * A peer whose heartbeat has not changed for this long, by this server's own elapsed time,
   * counts as gone. Default 600 ms.
   */
  readonly goneAfterMs?: number;
  /**
   * Runs each statement under the server's database health, so that a heartbeat held up by a
   * lock (on SQLite it holds the whole process up) counts as database trouble, and fires due
   * meanwhile are delayed rather than missed. Default: runs it as is.
   */
  readonly watch?: <T>(work: () => Promise<T>) => Promise<T>;
  /** Elapsed milliseconds, never stepped (tests may pass their own). Default `performance.now`. */
  readonly elapsed?: () => number;
}

/**
 * A server's heartbeat in the `servers` table, and its reading of peers' heartbeats. ZooKeeper
 * tells a dead server's session apart only after the session timeout (seconds); the heartbeat
 * tells within `goneAfterMs`, so that a fire claimed by a server that died before dispatching
 * it is adopted within a second of its instant. A few writes and reads a second per server,
 * whatever the fire rate. Not written while the coordinator session is suspended: such a
 * server no longer dispatches, and its peers should take its claimed fires.
 *
 * A peer is judged by whether its heartbeat *changed*, timed on this server's own elapsed
 * clock (see {@link HeartbeatObserver}): the value a peer writes is its own clock, but it is
 * never compared with ours, so clock skew between machines cannot make a live peer look gone.
 * A peer whose event loop stalls past `goneAfterMs` does look gone; that is safe because a
 * claimed fire is adopted by compare-and-set and its owner's dispatch is fenced the same way
 * (`claimed → dispatched` by owner and attempt before the send): one of them wins, never both.
 */
export class Liveness {
  readonly #o: Required<LivenessOptions>;
  readonly #observer: HeartbeatObserver;
  #timer: (() => void) | undefined;
  #writing = false;
  #reading = false;

  constructor(options: LivenessOptions) {
    this.#o = {
      writeMs: 100,
      goneAfterMs: 600,
      watch: (work) => work(),
      elapsed: () => performance.now(),
      ...options,
    };
    this.#observer = new HeartbeatObserver(this.#o.elapsed);
  }

  /** Writes the heartbeat and reads the peers' now, then every `writeMs` until {@link pause}. */
  async start(): Promise<void> {
    await Promise.all([this.#write(), this.#read()]);
    this.#arm();
  }

  pause(): void {
    this.#timer?.();
    this.#timer = undefined;
  }

  /** Writes the heartbeat at once (peers may think this server gone), then every `writeMs`. */
  resume(): void {
    if (this.#timer !== undefined) return;
    void this.#write();
    void this.#read();
    this.#arm();
  }

  /**
   * The ids among `serverIds` that are gone: out of the membership, or with a heartbeat seen
   * unchanged for `goneAfterMs` (or never seen at all, once peers have been read).
   */
  gone(serverIds: readonly string[]): Promise<ReadonlySet<string>> {
    const o = this.#o;
    return Promise.resolve(
      new Set(
        serverIds.filter(
          (id) =>
            id !== o.record.id &&
            (!o.membership.isLive(id) || this.#observer.silentFor(id) >= o.goneAfterMs),
        ),
      ),
    );
  }

  /**
   * Servers of this ServerGroup that are out of the membership and whose heartbeat has not
   * changed for more than `graceMs` (by this server's elapsed time): their unfinished work is
   * to be adopted. Servers silent for more than `forgetAfterMs` by their last heartbeat are
   * left alone (long decommissioned); that one comparison of a peer's clock with ours is
   * coarse on purpose, an hour against skews of seconds.
   */
  async departed(graceMs: number, forgetAfterMs: number): Promise<readonly string[]> {
    const o = this.#o;
    const now = o.clock.now();
    const startedAt = o.elapsed();
    let servers: readonly ServerRecord[];
    try {
      servers = await o.watch(() => o.servers.list(o.record.cluster, o.record.serverGroup));
    } catch (error) {
      this.#observer.interrupted();
      throw error;
    }
    this.#observer.observe(servers, startedAt);
    return servers
      .filter(
        (s) =>
          s.id !== o.record.id &&
          !o.membership.isLive(s.id) &&
          this.#observer.silentFor(s.id) > graceMs &&
          s.lastSeenAt > now - forgetAfterMs,
      )
      .map((s) => s.id);
  }

  #arm(): void {
    const cancel = this.#o.clock.after(this.#o.writeMs, () => {
      void this.#read();
      void this.#write().finally(() => {
        if (this.#timer === cancel) this.#arm();
      });
    });
    this.#timer = cancel;
  }

  async #write(): Promise<void> {
    // One write at a time: a slow database must not pile heartbeats up.
    if (this.#writing) return;
    this.#writing = true;
    try {
      const record = { ...this.#o.record, lastSeenAt: this.#o.clock.now() };
      await this.#o.watch(() => this.#o.servers.upsert(record));
    } catch (error) {
      this.#o.logger.debug({ err: error }, 'writing the server heartbeat failed');
    } finally {
      this.#writing = false;
    }
  }

  async #read(): Promise<void> {
    if (this.#reading) return;
    this.#reading = true;
    const o = this.#o;
    try {
      // Taken before the statement is sent: what it returns was true at this instant or later.
      const startedAt = o.elapsed();
      const servers = await o.watch(() => o.servers.list(o.record.cluster, o.record.serverGroup));
      this.#observer.observe(servers, startedAt);
    } catch (error) {
      this.#observer.interrupted();
      o.logger.debug({ err: error }, 'reading the peers’ heartbeats failed');
    } finally {
      this.#reading = false;
    }
  }
}
