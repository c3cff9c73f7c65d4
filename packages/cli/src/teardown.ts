/**
 * What a command has started, stopped in reverse order when it ends, also when starting a
 * later part fails: a failed start must leave nothing running that keeps the process alive.
 */
export class Teardown {
  readonly #stops: (() => Promise<void>)[] = [];
  readonly #onError: (error: unknown) => void;

  /** `onError` hears of a part that failed to stop; the others are still stopped. */
  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Registers how to stop a part that just started. */
  add(stop: () => Promise<void>): void {
    this.#stops.push(stop);
  }

  /** Stops every registered part, last started first. */
  async run(): Promise<void> {
    for (const stop of this.#stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}
