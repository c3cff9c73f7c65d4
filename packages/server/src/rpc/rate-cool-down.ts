/**
 * Clients cut off for their message rate, kept off for a while. A client that reconnects at once
 * when its stream is closed would otherwise flood again at once, and the server reads each new
 * stream up to the limit: about 280,000 messages a second and 0.8 of a core for one flooder
 * (`npm run bench:flood`). Keyed by task group and client id, which a stream has once its hello
 * was accepted: a hello that only claims an id cannot start a cool-down for it.
 */
export class RateCoolDown {
  readonly #ms: number;
  /** Key: group and client id; value: until when (ms epoch) the client stays off. */
  readonly #until = new Map<string, number>();
  /** The clients with a stream held unanswered. */
  readonly #held = new Set<string>();

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Keeps the client off from `nowMs` for the cool-down. */
  start(groupId: string, clientId: string, nowMs: number): void {
    // Few entries (one per flooding client) and each short-lived: swept as new ones come.
    for (const [key, until] of this.#until) if (until <= nowMs) this.#until.delete(key);
    if (this.#ms > 0) this.#until.set(keyOf(groupId, clientId), nowMs + this.#ms);
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
