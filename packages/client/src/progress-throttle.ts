/** The progress a handler reported last. */
export interface ProgressValue {
  readonly fraction: number | null;
  readonly message: string | null;
}

/**
 * Lets at most one progress report through per interval; the latest of those held back is sent
 * when the interval ends (or at `flush`), so the server always ends up with the last value.
 */
export class ProgressThrottle {
  readonly #intervalMs: number;
  readonly #send: (value: ProgressValue) => void;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #held: ProgressValue | null = null;
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number, send: (value: ProgressValue) => void) {
    this.#intervalMs = intervalMs;
    this.#send = send;
  }

  /** Sends now, or holds the value until the interval allows. */
  report(value: ProgressValue): void {
    const wait = this.#lastSentAt + this.#intervalMs - Date.now();
    if (wait <= 0 && this.#timer === undefined) {
      this.#emit(value);
      return;
    }
    this.#held = value;
    this.#timer ??= setTimeout(
      () => {
        this.#timer = undefined;
        this.flush();
      },
      Math.max(wait, 0),
    );
  }

  /** Sends the held value, if any, at once. */
  flush(): void {
    this.#clearTimer();
    const held = this.#held;
    this.#held = null;
    if (held !== null) this.#emit(held);
  }

  /** Drops the held value and the timer. */
  dispose(): void {
    this.#clearTimer();
    this.#held = null;
  }

  #emit(value: ProgressValue): void {
    this.#lastSentAt = Date.now();
    this.#send(value);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
