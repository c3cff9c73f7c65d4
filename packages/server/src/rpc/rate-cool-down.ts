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

/**
 * Clients cut off for their message rate, kept off for a while. A client that reconnects at once
 * when its stream is closed would otherwise flood again at once, and the server reads each new
 * stream up to the limit: about 280,000 messages a second and 0.8 of a core for one flooder
 * (`npm run bench:flood`). Keyed by task group and client id, which a stream has once its hello
 * was accepted: a hello that only claims an id cannot start a cool-down for it.
 */
export class RateCoolDown {
  readonly #o: RateCoolDownOptions;
  /** Key: group and client id; value: until when (ms epoch) the client stays off. */
  readonly #until = new Map<string, number>();
  /** The clients with a stream held unanswered. */
  readonly #held = new Set<string>();
  /** Streams closed for their rate: their hello, still in its check, starts the cool-down. */
  readonly #cut = new WeakSet<CooledStream>();

  constructor(options: RateCoolDownOptions) {
    this.#o = options;
  }

  /** `stream` was closed for its rate; its client, when its hello was accepted, stays off. */
  cut(stream: CooledStream, client: { groupId: string; clientId: string } | undefined): void {
    this.#cut.add(stream);
    if (client !== undefined) this.start(client.groupId, client.clientId, Date.now());
  }

  /** The hello of `stream` passed its check: if the stream was cut meanwhile, its client stays off. */
  helloAccepted(stream: CooledStream, groupId: string, clientId: string): void {
    if (this.#cut.has(stream)) this.start(groupId, clientId, Date.now());
  }

  /**
   * Turns away the stream of a client still cooling down; true if so. One stream of the client
   * is held unanswered for the time left (within `holdMaxMs`), so that a client that reconnects
   * at once waits instead of opening a stream a millisecond (12,000 in 10 s, measured: the
   * server's cost then). Others end at once: held streams must not pile up. Not logged: the cut
   * was, and a flooder may try again many times a second.
   */
  turnAway(groupId: string, clientId: string, stream: CooledStream): boolean {
    const leftMs = this.leftMs(groupId, clientId, Date.now());
    if (leftMs === 0) return false;
    const end = () =>
      stream.end({
        code: GrpcStatus.RESOURCE_EXHAUSTED,
        details: `kept off for ${Math.ceil(leftMs / 1000)} s after sending more than ${this.#o.maxMessagesPerSecond} messages a second`,
      });
    if (!this.hold(groupId, clientId)) {
      end();
      return true;
    }
    const timer = setTimeout(end, Math.min(leftMs, this.#o.holdMaxMs));
    stream.once('close', () => {
      clearTimeout(timer);
      this.release(groupId, clientId);
    });
    return true;
  }

  /** Keeps the client off from `nowMs` for the cool-down. */
  start(groupId: string, clientId: string, nowMs: number): void {
    // Few entries (one per flooding client) and each short-lived: swept as new ones come.
    for (const [key, until] of this.#until) if (until <= nowMs) this.#until.delete(key);
    if (this.#o.coolDownMs > 0)
      this.#until.set(keyOf(groupId, clientId), nowMs + this.#o.coolDownMs);
  }

  /** How long (ms) the client must still stay off at `nowMs`; 0 when it may connect. */
  leftMs(groupId: string, clientId: string, nowMs: number): number {
    const until = this.#until.get(keyOf(groupId, clientId));
    return until === undefined ? 0 : Math.max(0, until - nowMs);
  }

  /** True, and counted, when none of the client's streams is held; then {@link release} it. */
  hold(groupId: string, clientId: string): boolean {
    const key = keyOf(groupId, clientId);
    if (this.#held.has(key)) return false;
    this.#held.add(key);
    return true;
  }

  /** The client's held stream has ended. */
  release(groupId: string, clientId: string): void {
    this.#held.delete(keyOf(groupId, clientId));
  }
}

function keyOf(groupId: string, clientId: string): string {
  return `${groupId}\n${clientId}`;
}
