import { hashTokenSecret } from '@carillon/core';
import type { StreamStatus } from '@carillon/protocol';
import { GrpcStatus } from '@carillon/protocol';

/** What the cool-down needs of a client's stream. */
export interface CooledStream {
  end(status: StreamStatus): void;
  once(event: 'close', listener: () => void): unknown;
}

/** Settings of a {@link RateCoolDown}. */
export interface RateCoolDownOptions {
  /** How long a client cut off for its rate stays off; 0: not at all. */
  readonly coolDownMs: number;
  /** The rate it went over, for the reason it is told. */
  readonly maxMessagesPerSecond: number;
  /** The longest a hello is held unanswered (within the hello timeout). */
  readonly holdMaxMs: number;
}

/** Two clients of one token cut off within this long: the token itself is kept off. */
const ROTATION_WINDOW_MS = 10_000;

/** Who a cut stream's accepted hello said it was. */
export interface CutClient {
  readonly groupId: string;
  readonly clientId: string;
  readonly tokenHash: string;
}

/**
 * Clients cut off for their message rate, kept off for a while. A client that reconnects at once
 * when its stream is closed would otherwise flood again at once, and the server reads each new
 * stream up to the limit: about 280,000 messages a second and 0.8 of a core for one flooder
 * (`npm run bench:flood`). Keyed by task group and client id, which a stream has once its hello
 * was accepted: a hello that only claims an id cannot start a cool-down for it.
 *
 * A flooder that takes a new client id for each stream escaped that (325,000 messages a second
 * read, `--rotate-ids`). So when a second client id of one client token is cut within 10 s, the
 * token is kept off too: each new hello with it, whatever its id. One misbehaving client of an
 * application whose instances share a token keeps the others' reconnections waiting only when
 * it changes its id.
 */
export class RateCoolDown {
  readonly #o: RateCoolDownOptions;
  /** Key: a client's (group and id) or a token's; value: until when (ms epoch) it stays off. */
  readonly #until = new Map<string, number>();
  /** The keys with a stream held unanswered. */
  readonly #held = new Set<string>();
  /** Streams closed for their rate: their hello, still in its check, starts the cool-down. */
  readonly #cut = new WeakSet<CooledStream>();
  /** Per token hash: the client last cut, and when (ms epoch). */
  readonly #lastCut = new Map<string, { clientId: string; at: number }>();

  constructor(options: RateCoolDownOptions) {
    this.#o = options;
  }

  /** `stream` was closed for its rate; its client, when its hello was accepted, stays off. */
  cut(stream: CooledStream, client: CutClient | undefined): void {
    this.#cut.add(stream);
    if (client !== undefined) this.start(client, Date.now());
  }

  /** The hello of `stream` passed its check: if the stream was cut meanwhile, its client stays off. */
  helloAccepted(stream: CooledStream, client: CutClient): void {
    if (this.#cut.has(stream)) this.start(client, Date.now());
  }

  /**
   * Turns away the stream of a client still cooling down, or of its token; true if so. One
   * stream of the client (or token) is held unanswered for the time left (within `holdMaxMs`),
   * so that a client that reconnects at once waits instead of opening a stream a millisecond
   * (12,000 in 10 s, measured: the server's cost then). Others end at once: held streams must
   * not pile up. Not logged: the cut was, and a flooder may try again many times a second.
   */
  turnAway(groupId: string, clientId: string, token: string, stream: CooledStream): boolean {
    const nowMs = Date.now();
    const clientKey = keyOf(groupId, clientId);
    let key = clientKey;
    let leftMs = this.#leftMs(clientKey, nowMs);
    // Hashed only while some token is kept off.
    if (leftMs === 0 && this.#until.size > 0) {
      key = tokenKeyOf(hashTokenSecret(token));
      leftMs = this.#leftMs(key, nowMs);
    }
    if (leftMs === 0) return false;
    const end = () =>
      stream.end({
        code: GrpcStatus.RESOURCE_EXHAUSTED,
        details: `kept off for ${Math.ceil(leftMs / 1000)} s after sending more than ${this.#o.maxMessagesPerSecond} messages a second`,
      });
    if (this.#held.has(key)) {
      end();
      return true;
    }
    this.#held.add(key);
    const timer = setTimeout(end, Math.min(leftMs, this.#o.holdMaxMs));
    stream.once('close', () => {
      clearTimeout(timer);
      this.#held.delete(key);
    });
    return true;
  }

  /** Keeps the client off from `nowMs` for the cool-down, and its token if it changed ids. */
  start(client: CutClient, nowMs: number): void {
    if (this.#o.coolDownMs <= 0) return;
    // Few entries (one per flooding client or token) and each short-lived: swept as new ones come.
    for (const [key, until] of this.#until) if (until <= nowMs) this.#until.delete(key);
    for (const [hash, last] of this.#lastCut)
      if (nowMs - last.at >= ROTATION_WINDOW_MS) this.#lastCut.delete(hash);
    const until = nowMs + this.#o.coolDownMs;
    this.#until.set(keyOf(client.groupId, client.clientId), until);
    const last = this.#lastCut.get(client.tokenHash);
    if (last !== undefined && last.clientId !== client.clientId)
      this.#until.set(tokenKeyOf(client.tokenHash), until);
    this.#lastCut.set(client.tokenHash, { clientId: client.clientId, at: nowMs });
  }

  /** How long (ms) the client must still stay off at `nowMs`; 0 when it may connect. */
  leftMs(groupId: string, clientId: string, nowMs: number): number {
    return this.#leftMs(keyOf(groupId, clientId), nowMs);
  }

  /** How long (ms) hellos with the token of `tokenHash` must still stay off; 0 when they may. */
  tokenLeftMs(tokenHash: string, nowMs: number): number {
    return this.#leftMs(tokenKeyOf(tokenHash), nowMs);
  }

  #leftMs(key: string, nowMs: number): number {
    const until = this.#until.get(key);
    return until === undefined ? 0 : Math.max(0, until - nowMs);
  }
}

function keyOf(groupId: string, clientId: string): string {
  return `client\n${groupId}\n${clientId}`;
}

function tokenKeyOf(tokenHash: string): string {
  return `token\n${tokenHash}`;
}
