import { hashTokenSecret } from '@carillon/core';

/** Settings of {@link RefusedHellos}. */
export interface RefusedHellosOptions {
  /** Refused hellos an address may send within `windowMs` before it is kept off; 0: no limit. */
  readonly limit: number;
  readonly windowMs: number;
  /** How long an address over the limit is kept off. */
  readonly coolDownMs: number;
}

/** What to do with a refused hello. */
export type RefusalVerdict =
  /** Counted; log it. */
  | 'log'
  /** The one that crossed the limit: the address is kept off from now; log that once. */
  | 'kept-off'
  /** The address is kept off already (a stream with no hello in time): do not log it. */
  | 'quiet';

/** The most addresses remembered: an attacker spread over many addresses cannot grow it. */
const MAX_ADDRESSES = 10_000;
/** The most client tokens remembered as accepted here. */
const MAX_TOKENS = 10_000;
/** How long a token accepted here lets its hellos past an address kept off. */
const TOKEN_MEMORY_MS = 10 * 60_000;

/**
 * Keeps off, for a while, the network addresses that send many hellos the server refuses (bad
 * token, unknown group, wrong ServerGroup). Each refused hello costs a store lookup and a log
 * line, and anyone who can reach the port may send them: one process on this machine had
 * 1,800 a second refused, each with both (a throwaway script, 20 streams at a time against one
 * server on MariaDB). Kept off, a hello is closed unread: no lookup, no line.
 *
 * The SDK asks again only every 5 to 60 s after such a refusal, so an address that crosses the
 * limit is a hand-made client, a crash-looping application, a machine of many misconfigured
 * clients, or an attacker. A client token accepted by this server in the last ten minutes
 * still passes, so that good clients sharing the address with a bad one stay connected; a
 * token new to this server waits out the cool-down.
 */
export class RefusedHellos {
  readonly #o: RefusedHellosOptions;
  /** Per address: the window's start and count, and until when it is kept off. */
  readonly #addresses = new Map<string, { since: number; count: number; offUntil: number }>();
  /** Token hashes accepted here, and when (ms epoch). */
  readonly #accepted = new Map<string, number>();

  constructor(options: RefusedHellosOptions) {
    this.#o = options;
  }

  /**
   * How long (ms) a hello from `address` with client token `token` (undefined: not a hello)
   * must still be turned away unchecked; 0: check it.
   */
  leftMs(address: string, token: string | undefined, nowMs: number): number {
    const entry = this.#addresses.get(address);
    if (entry === undefined || entry.offUntil <= nowMs) return 0;
    const accepted = token === undefined ? undefined : this.#accepted.get(hashTokenSecret(token));
    if (accepted !== undefined && nowMs - accepted < TOKEN_MEMORY_MS) return 0;
    return entry.offUntil - nowMs;
  }

  /** A hello from `address` was refused at `nowMs`. */
  refused(address: string, nowMs: number): RefusalVerdict {
    if (this.#o.limit <= 0) return 'log';
    let entry = this.#addresses.get(address);
    if (entry !== undefined && entry.offUntil > nowMs) return 'quiet';
    if (entry === undefined || nowMs - entry.since >= this.#o.windowMs) {
      if (entry === undefined) evictOldest(this.#addresses, MAX_ADDRESSES);
      entry = { since: nowMs, count: 0, offUntil: entry?.offUntil ?? 0 };
      // Re-inserted, so that the map's order stays the order of last use for the eviction.
      this.#addresses.delete(address);
      this.#addresses.set(address, entry);
    }
    entry.count += 1;
    if (entry.count <= this.#o.limit) return 'log';
    entry.offUntil = nowMs + this.#o.coolDownMs;
    // Once the cool-down is over, the address has its whole budget again.
    entry.since = entry.offUntil;
    entry.count = 0;
    return 'kept-off';
  }

  /** A hello with `tokenHash` was accepted at `nowMs`. */
  accepted(tokenHash: string, nowMs: number): void {
    this.#accepted.delete(tokenHash);
    evictOldest(this.#accepted, MAX_TOKENS);
    this.#accepted.set(tokenHash, nowMs);
  }
}

/** The host part of a gRPC peer (`127.0.0.1:5000`, `[::1]:5000`, `ipv4:…`, `unix:…`). */
export function addressOfPeer(peer: string): string {
  const colon = peer.lastIndexOf(':');
  // A port follows the last colon only where it is all digits and something comes before it.
  if (colon > 0 && /^\d+$/.test(peer.slice(colon + 1))) return peer.slice(0, colon);
  return peer;
}

function evictOldest(map: Map<string, unknown>, max: number): void {
  while (map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done === true) return;
    map.delete(oldest.value);
  }
}
