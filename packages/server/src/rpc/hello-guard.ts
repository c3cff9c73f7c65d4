import type { Logger } from '@carillon/core';
import type { ClientMessage, StreamStatus } from '@carillon/protocol';
import { GrpcStatus } from '@carillon/protocol';
import { PendingHellos } from './pending-hellos.js';
import { RefusedHellos, addressOfPeer } from './refused-hellos.js';

/** What the guard needs of a stream. */
export interface GuardedStream {
  readonly peer: string;
  end(status?: StreamStatus): void;
}

/** Settings of a {@link HelloGuard}. */
export interface HelloGuardOptions {
  readonly logger: Logger;
  /** Refused hellos (and streams with no hello) an address may have in 10 s; 0: no limit. */
  readonly refusedLimit: number;
  /** How long an address over `refusedLimit` is kept off. */
  readonly refusedCoolDownMs: number;
  /** Streams of one address that may wait for their hello at once; 0: no cap. */
  readonly maxPending: number;
}

const REFUSED_WINDOW_MS = 10_000;
/** At most one warning per address and this long for streams ended at the pending cap. */
const PENDING_WARNING_MS = 10_000;

/**
 * What a network address may do before one of its streams has an accepted hello: how many
 * streams wait for their hello at once, and how many hellos are refused before its hellos are
 * closed unread for a while. Anyone who reaches the port can open streams, and each costs memory
 * until its hello, and a refused one a store lookup and a log line; this bounds all three per
 * address, and logs what it turns away once rather than per stream.
 */
export class HelloGuard {
  readonly #o: HelloGuardOptions;
  readonly #refused: RefusedHellos;
  readonly #pending: PendingHellos;
  /** Streams counted as waiting, so that each is settled once. */
  readonly #waiting = new WeakSet<GuardedStream>();
  /** Per address: when a stream of it was last ended at the pending cap with a warning. */
  readonly #warned = new Map<string, number>();

  constructor(options: HelloGuardOptions) {
    this.#o = options;
    this.#refused = new RefusedHellos({
      limit: options.refusedLimit,
      windowMs: REFUSED_WINDOW_MS,
      coolDownMs: options.refusedCoolDownMs,
    });
    this.#pending = new PendingHellos(options.maxPending);
  }

  /** A stream opened: false if it was ended, its address having too many streams waiting. */
  opened(stream: GuardedStream): boolean {
    const address = addressOfPeer(stream.peer);
    if (this.#pending.opened(address)) {
      this.#waiting.add(stream);
      return true;
    }
    stream.end({
      code: GrpcStatus.RESOURCE_EXHAUSTED,
      details: `more than ${this.#o.maxPending} streams from this address wait for their hello`,
    });
    const nowMs = Date.now();
    const last = this.#warned.get(address);
    if (last === undefined || nowMs - last >= PENDING_WARNING_MS) {
      for (const [a, at] of this.#warned)
        if (nowMs - at >= PENDING_WARNING_MS) this.#warned.delete(a);
      this.#warned.set(address, nowMs);
      this.#o.logger.warn(
        { address, maxPending: this.#o.maxPending },
        'streams ended at once: too many from one address wait for their hello (logged once per 10 s)',
      );
    }
    return false;
  }

  /** The stream's hello was checked, or the stream ended: it waits no longer. */
  settled(stream: GuardedStream): void {
    if (!this.#waiting.delete(stream)) return;
    this.#pending.settled(addressOfPeer(stream.peer));
  }

  /**
   * Ends the stream unread if its address is kept off for refused hellos and the hello's token
   * was not accepted here lately; true if so. Not logged and not looked up: that is what
   * keeping it off saves.
   */
  turnAway(stream: GuardedStream, first: ClientMessage): boolean {
    const leftMs = this.#refused.leftMs(
      addressOfPeer(stream.peer),
      first.kind === 'hello' ? first.token : undefined,
      Date.now(),
    );
    if (leftMs === 0) return false;
    stream.end({
      code: GrpcStatus.RESOURCE_EXHAUSTED,
      details: `too many refused hellos from this address; kept off for ${Math.ceil(leftMs / 1000)} s`,
    });
    return true;
  }

  /** The stream's hello was refused, or it sent none in time: counted, and logged within limits. */
  refused(
    stream: GuardedStream,
    level: 'info' | 'warn',
    fields: Record<string, unknown>,
    message: string,
  ): void {
    const address = addressOfPeer(stream.peer);
    const verdict = this.#refused.refused(address, Date.now());
    if (verdict === 'quiet') return;
    if (verdict === 'log') {
      this.#o.logger[level]({ ...fields, peer: stream.peer }, message);
      return;
    }
    this.#o.logger.warn(
      {
        address,
        refused: this.#o.refusedLimit + 1,
        coolDownMs: this.#o.refusedCoolDownMs,
      },
      'too many hellos refused from one address in 10 s: its hellos are closed unchecked for the cool-down (tokens accepted here still pass)',
    );
  }

  /** A hello with the token of `tokenHash` was accepted. */
  accepted(tokenHash: string): void {
    this.#refused.accepted(tokenHash, Date.now());
  }
}
