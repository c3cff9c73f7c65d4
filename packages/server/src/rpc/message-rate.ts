/**
 * Counts the messages of one stream per one-second window: a client may send at most
 * `maxPerSecond` messages in any window that starts with one of its messages.
 */
export class MessageRate {
  readonly #maxPerSecond: number;
  #windowStart = -Infinity;
  #count = 0;

  constructor(maxPerSecond: number) {
    this.#maxPerSecond = maxPerSecond;
  }

  /** Counts one message at `nowMs`; false when it goes over the limit. */
  admit(nowMs: number): boolean {
    if (nowMs - this.#windowStart >= 1_000) {
      this.#windowStart = nowMs;
      this.#count = 0;
    }
    this.#count++;
    return this.#count <= this.#maxPerSecond;
  }
}
