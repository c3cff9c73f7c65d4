import type { ServerRecord } from '@carillon/core';

interface Seen {
  /** The heartbeat value as last read (the peer's clock: compared only for equality). */
  readonly value: number;
  /** When a read first returned this value (its completion: the change happened by then). */
  readonly since: number;
  /** The start of the latest read that still returned it (it had not changed by then). */
  sameAt: number;
}

/**
 * Peers' heartbeats as this server observes them, timed on this server's elapsed clock only.
 * A peer is silent for as long as its value was seen unchanged: from the end of the read that
 * first saw the value to the start of the latest read that still saw it. Both ends err on the
 * side of "not yet silent": a slow statement, or this process stalling between reads, can only
 * shorten the silence it measures, and a server that was itself frozen sees its live peers'
 * values changed on its first read back, not their silence. No peer's clock is ever compared
 * with this one's.
 */
export class HeartbeatObserver {
  readonly #elapsed: () => number;
  readonly #seen = new Map<string, Seen>();
  #read = false;
  /** A read failed since the last one that answered: see {@link interrupted}. */
  #interrupted = false;

  constructor(elapsed: () => number) {
    this.#elapsed = elapsed;
  }

  /** Takes one read of the `servers` table that was sent at elapsed time `startedAt`. */
  observe(servers: readonly ServerRecord[], startedAt: number): void {
    const completedAt = this.#elapsed();
    this.#read = true;
    const restart = this.#interrupted;
    this.#interrupted = false;
    for (const s of servers) {
      const seen = this.#seen.get(s.id);
      if (restart || seen === undefined || seen.value !== s.lastSeenAt) {
        this.#seen.set(s.id, { value: s.lastSeenAt, since: completedAt, sameAt: completedAt });
      } else if (startedAt > seen.sameAt) {
        seen.sameAt = startedAt;
      }
    }
  }

  /**
   * A read of the `servers` table failed (the database was unreachable, or cut off from this
   * server). The peers' writes most likely failed as well, so an unchanged value across the gap
   * proves nothing: the next read that answers starts every peer's silence afresh. Without this,
   * a live peer looked gone as soon as a database outage shared by both ended (its first write
   * after it not yet landed), and its claimed fires were adopted.
   */
  interrupted(): void {
    this.#interrupted = true;
  }

  /**
   * How long the server's heartbeat has been seen unchanged (ms); 0 before the first read, and
   * infinite for a server that the reads never returned (it has no heartbeat at all).
   */
  silentFor(serverId: string): number {
    const seen = this.#seen.get(serverId);
    if (seen === undefined) return this.#read ? Number.POSITIVE_INFINITY : 0;
    return Math.max(0, seen.sameAt - seen.since);
  }
}
