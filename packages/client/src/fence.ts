/**
 * The client's side of fencing. It counts the servers with an open (welcomed) stream; when the
 * last one goes, it starts a timer of the smallest fence interval the servers gave, and if no
 * stream opens before it fires, it calls `onFenced`: by then the servers may have dispatched the
 * running work again elsewhere, so the client must abort it.
 */
export class Fence {
  readonly #defaultMs: number;
  readonly #onFenced: (cutOffMs: number) => void;
  readonly #open = new Set<string>();
  readonly #fenceMs = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #cutOffAt: number | null = null;
  #stopped = false;

  constructor(defaultMs: number, onFenced: (cutOffMs: number) => void) {
    this.#defaultMs = defaultMs;
    this.#onFenced = onFenced;
  }

  /** The interval in force: the smallest a server gave, or the default before any Welcome. */
  get fenceMs(): number {
    return this.#fenceMs.size === 0 ? this.#defaultMs : Math.min(...this.#fenceMs.values());
  }

  /** When the client lost its last stream (ms epoch), or null while one is open. */
  get cutOffAt(): number | null {
    return this.#cutOffAt;
  }

  /** A server welcomed the client on a stream. */
  opened(address: string, fenceMs: number): void {
    this.#open.add(address);
    this.#fenceMs.set(address, fenceMs);
    this.#cutOffAt = null;
    this.#disarm();
  }

  /** A server's stream ended; arms the timer when it was the last open one. */
  closed(address: string): void {
    if (!this.#open.delete(address) || this.#open.size > 0 || this.#stopped) return;
    this.#cutOffAt = Date.now();
    this.#arm(this.fenceMs);
  }

  /** A server left the group for good: its interval no longer applies. */
  forget(address: string): void {
    this.#fenceMs.delete(address);
  }

  /** Disarms for good (the client is stopping). */
  stop(): void {
    this.#stopped = true;
    this.#disarm();
  }

  #arm(delayMs: number): void {
    this.#disarm();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const cutOffMs = Date.now() - (this.#cutOffAt ?? Date.now());
      // Timers can fire a millisecond or two early; fencing promises "longer than fence_ms".
      if (cutOffMs < this.fenceMs) this.#arm(this.fenceMs - cutOffMs);
      else this.#onFenced(cutOffMs);
    }, delayMs);
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
