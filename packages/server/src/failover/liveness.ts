import type { Clock, Logger, ServerRecord, Stores } from '@carillon/core';
import type { Membership } from '../membership.js';

/** Settings of {@link Liveness}. */
export interface LivenessOptions {
  readonly record: Omit<ServerRecord, 'lastSeenAt'>;
  readonly servers: Stores['servers'];
  readonly membership: Membership;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often this server writes its `lastSeenAt`. Default 250 ms. */
  readonly writeMs?: number;
  /** A peer whose `lastSeenAt` is older than this counts as gone. Default 1,000 ms. */
  readonly goneAfterMs?: number;
  /**
   * Runs each statement under the server's database health, so that a heartbeat held up by a
   * lock (on SQLite it holds the whole process up) counts as database trouble, and fires due
   * meanwhile are delayed rather than missed. Default: runs it as is.
   */
  readonly watch?: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * A server's heartbeat in the `servers` table, and its reading of peers' heartbeats. ZooKeeper
 * tells a dead server's session apart only after the session timeout (seconds); the heartbeat
 * tells within `goneAfterMs`, so that a fire claimed by a server that died before dispatching
 * it is adopted within about a second. A few writes a second per server, whatever the fire
 * rate. Not written while the coordinator session is suspended: such a server no longer
 * dispatches, and its peers should take its claimed fires.
 */
export class Liveness {
  readonly #o: Required<LivenessOptions>;
  #timer: (() => void) | undefined;
  #writing = false;

  constructor(options: LivenessOptions) {
    this.#o = { writeMs: 250, goneAfterMs: 1_000, watch: (work) => work(), ...options };
  }

  /** Writes the heartbeat now and then every `writeMs` until {@link pause}. */
  async start(): Promise<void> {
    await this.#write();
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
    this.#arm();
  }

  /** The ids among `serverIds` that are gone: out of the membership, or silent past the limit. */
  async gone(serverIds: readonly string[]): Promise<ReadonlySet<string>> {
    const o = this.#o;
    const now = o.clock.now();
    const seen = new Map(
      (await o.watch(() => o.servers.list(o.record.cluster, o.record.serverGroup))).map((s) => [
        s.id,
        s.lastSeenAt,
      ]),
    );
    return new Set(
      serverIds.filter(
        (id) =>
          id !== o.record.id &&
          (!o.membership.isLive(id) || (seen.get(id) ?? 0) < now - o.goneAfterMs),
      ),
    );
  }

  /**
   * Servers of this ServerGroup that are out of the membership and silent for more than
   * `graceMs` (but less than `forgetAfterMs`): their unfinished work is to be adopted.
   */
  async departed(graceMs: number, forgetAfterMs: number): Promise<readonly string[]> {
    const o = this.#o;
    const now = o.clock.now();
    return (await o.watch(() => o.servers.list(o.record.cluster, o.record.serverGroup)))
      .filter(
        (s) =>
          s.id !== o.record.id &&
          !o.membership.isLive(s.id) &&
          s.lastSeenAt < now - graceMs &&
          s.lastSeenAt > now - forgetAfterMs,
      )
      .map((s) => s.id);
  }

  #arm(): void {
    const cancel = this.#o.clock.after(this.#o.writeMs, () => {
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
}
