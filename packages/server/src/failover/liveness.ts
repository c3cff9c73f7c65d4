import type { Clock, Logger, ServerBeat, ServerRecord, Stores } from '@carillon/core';
import type { Membership } from '../membership.js';
import { heartbeatSilence } from './heartbeat-silence.js';

/** Settings of {@link Liveness}. */
export interface LivenessOptions {
  readonly record: Omit<ServerRecord, 'lastSeenAt'>;
  readonly servers: Stores['servers'];
  readonly membership: Membership;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How often this server writes its heartbeat. Default 100 ms. */
  readonly writeMs?: number;
  /**
   * A peer whose last heartbeat is this much older than this server's own last one, both as
   * the database stamped them, counts as gone. Default 600 ms.
   */
  readonly goneAfterMs?: number;
  /**
   * Runs each statement under the server's database health, so that a heartbeat held up by a
   * lock (on SQLite it holds the whole process up) counts as database trouble, and fires due
   * meanwhile are delayed rather than missed. Default: runs it as is.
   */
  readonly watch?: <T>(work: () => Promise<T>) => Promise<T>;
}

/**
 * A server's heartbeat in the `servers` table, and its judgement of peers' heartbeats. ZooKeeper
 * tells a dead server's session apart only after the session timeout (seconds); the heartbeat
 * tells within `goneAfterMs`, so that a fire claimed by a server that died before dispatching
 * it is adopted within a second of its instant. Not written while the coordinator session is
 * suspended: such a server no longer dispatches, and its peers should take its claimed fires.
 *
 * Each beat is stamped by the database's own clock (one statement every `writeMs`), and a peer
 * is judged by comparing its last beat with this server's own last beat (see
 * {@link heartbeatSilence}): one clock, so clock skew between server hosts cannot make a live
 * peer look gone, and no history, so the peers' beats are read only when someone asks
 * ({@link gone}: a standby with a peer's claimed fire under watch; {@link departed}: the poll),
 * not every `writeMs`. A peer whose event loop stalls past `goneAfterMs` does look gone; that is
 * safe because a claimed fire is adopted by compare-and-set and its owner's dispatch is fenced
 * the same way (`claimed → dispatched` by owner and attempt before the send): one of them wins.
 */
export class Liveness {
  readonly #o: Required<LivenessOptions>;
  /**
   * A gap between two of this server's beats longer than this starts a new run of beats: a
   * stall that long may have held a live peer's beats up too. Under it, a live peer's beats
   * are at most `writeMs` plus the gap apart, less than `goneAfterMs`.
   */
  readonly #breakMs: number;
  #timer: (() => void) | undefined;
  #writing = false;
  #recorded = false;
  /** The read in flight, shared by the callers that ask meanwhile. */
  #reading: Promise<readonly ServerBeat[]> | undefined;
  /** The run of beats (its start) for which a withheld judgement was last logged. */
  #withheldRun: number | undefined;

  constructor(options: LivenessOptions) {
    this.#o = {
      writeMs: 100,
      goneAfterMs: 600,
      watch: (work) => work(),
      ...options,
    };
    this.#breakMs = Math.floor(
      Math.max(this.#o.goneAfterMs / 2, this.#o.goneAfterMs - this.#o.writeMs),
    );
  }

  /** Writes the heartbeat now, then every `writeMs` until {@link pause}. */
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

  /**
   * The ids among `serverIds` that are gone: out of the membership, or with a heartbeat
   * `goneAfterMs` older than this server's own (or none at all). Reads the peers' heartbeats
   * once, only when one of them is still a member; a read that fails judges by membership only.
   */
  async gone(serverIds: readonly string[]): Promise<ReadonlySet<string>> {
    const o = this.#o;
    const peers = serverIds.filter((id) => id !== o.record.id);
    const gone = new Set(peers.filter((id) => !o.membership.isLive(id)));
    if (gone.size === peers.length) return gone;
    let beats: readonly ServerBeat[];
    try {
      beats = await this.#read();
    } catch (error) {
      o.logger.debug({ err: error }, 'reading the peers’ heartbeats failed');
      return gone;
    }
    const own = beats.find((b) => b.id === o.record.id);
    if (own === undefined) return gone;
    for (const id of peers) {
      if (gone.has(id)) continue;
      const peer = beats.find((b) => b.id === id);
      if (heartbeatSilence(own, peer, o.goneAfterMs) >= o.goneAfterMs) gone.add(id);
      else if (peer !== undefined) this.#noteWithheld(own, peer);
    }
    return gone;
  }

  /**
   * Servers of this ServerGroup that are out of the membership and whose heartbeat is more
   * than `graceMs` older than this server's own: their unfinished work is to be adopted.
   * Servers whose last beat is more than `forgetAfterMs` older are left alone (long
   * decommissioned).
   */
  async departed(graceMs: number, forgetAfterMs: number): Promise<readonly string[]> {
    const o = this.#o;
    const beats = await this.#read();
    const own = beats.find((b) => b.id === o.record.id);
    if (own === undefined) return [];
    return beats
      .filter(
        (peer) =>
          peer.id !== o.record.id &&
          !o.membership.isLive(peer.id) &&
          heartbeatSilence(own, peer, o.goneAfterMs) > graceMs &&
          own.lastSeenAt - peer.lastSeenAt < forgetAfterMs,
      )
      .map((peer) => peer.id);
  }

  /**
   * Logs, once per run of this server's beats, a peer that would be gone but for a gap in this
   * server's own beats: the judgement waits for the run to last `goneAfterMs`, which delays an
   * adoption (a loaded machine whose beats land over `#breakMs` apart).
   */
  #noteWithheld(own: ServerBeat, peer: ServerBeat): void {
    if (own.lastSeenAt - peer.lastSeenAt < this.#o.goneAfterMs) return;
    if (this.#withheldRun === own.beatingSince) return;
    this.#withheldRun = own.beatingSince;
    this.#o.logger.info(
      {
        peer: peer.id,
        silentMs: own.lastSeenAt - peer.lastSeenAt,
        ownRunMs: own.lastSeenAt - own.beatingSince,
      },
      'a peer is silent, but this server’s own heartbeats had a gap: not judged gone yet',
    );
  }

  #read(): Promise<readonly ServerBeat[]> {
    if (this.#reading !== undefined) return this.#reading;
    const o = this.#o;
    const reading = o
      .watch(() => o.servers.beats(o.record.cluster, o.record.serverGroup))
      .finally(() => {
        this.#reading = undefined;
      });
    this.#reading = reading;
    return reading;
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
    const o = this.#o;
    try {
      // The record first (address, room), then beats alone: one small statement each.
      if (!this.#recorded || !(await o.watch(() => o.servers.beat(o.record.id, this.#breakMs)))) {
        const record: ServerRecord = Object.assign({ lastSeenAt: o.clock.now() }, o.record);
        await o.watch(() => o.servers.upsert(record));
        this.#recorded = true;
        // Restamps the record on the database's clock.
        await o.watch(() => o.servers.beat(o.record.id, this.#breakMs));
      }
    } catch (error) {
      o.logger.debug({ err: error }, 'writing the server heartbeat failed');
    } finally {
      this.#writing = false;
    }
  }
}
