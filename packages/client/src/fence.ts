import { performance } from 'node:perf_hooks';

/** How often the fence looks whether this process was stopped: at most every 500 ms. */
const STOP_CHECK_MS = 500;

/**
 * Called when the running work may have been dispatched again elsewhere: after `cutOffMs`
 * without an open stream, or, with `stopped`, after this process itself did not run for that
 * long.
 */
export type OnFenced = (cutOffMs: number, stopped: boolean) => void;

/**
 * The client's side of fencing. It counts the servers with an open (welcomed) stream; when the
 * last one goes, it starts a timer of the smallest fence interval the servers gave, and if no
 * stream opens before it fires, it calls `onFenced`: by then the servers may have dispatched the
 * running work again elsewhere, so the client must abort it.
 *
 * A process that was stopped (SIGSTOP, a paused VM, an event loop blocked) for longer than the
 * interval is fenced as well, as soon as it runs again: the servers saw its streams go silent
 * and may have given its work away, while to the client its streams looked open throughout and
 * it reconnects before any timer of its own could fire.
 */
export class Fence {
  readonly #defaultMs: number;
  readonly #onFenced: OnFenced;
  readonly #open = new Set<string>();
  readonly #fenceMs = new Map<string, number>();
  #stopCheck: NodeJS.Timeout | undefined;
  #timer: NodeJS.Timeout | undefined;
  #cutOffAt: number | null = null;
  #stopped = false;
  // Both clocks: the monotonic one ignores wall-clock steps, the wall clock also runs while
  // the machine sleeps (suspend), which the monotonic one does not count on Linux.
  #lastWallMs = Date.now();
  #lastMonotonicMs = performance.now();

  constructor(defaultMs: number, onFenced: OnFenced) {
    this.#defaultMs = defaultMs;
    this.#onFenced = onFenced;
    this.#armStopCheck();
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
    clearTimeout(this.#stopCheck);
    this.#disarm();
  }

  /** Four looks a fence interval at least, so that a normal wait never looks like a stop. */
  #armStopCheck(): void {
    const delayMs = Math.max(1, Math.min(STOP_CHECK_MS, this.fenceMs / 4));
    this.#stopCheck = setTimeout(() => this.#checkStopped(), delayMs);
    // The check alone must not keep the process alive.
    this.#stopCheck.unref();
  }

  #checkStopped(): void {
    const wallMs = Date.now();
    const monotonicMs = performance.now();
    const stoppedMs = Math.max(wallMs - this.#lastWallMs, monotonicMs - this.#lastMonotonicMs);
    this.#lastWallMs = wallMs;
    this.#lastMonotonicMs = monotonicMs;
    if (this.#stopped) return;
    this.#armStopCheck();
    if (stoppedMs > this.fenceMs) this.#onFenced(Math.round(stoppedMs), true);
  }

  #arm(delayMs: number): void {
    this.#disarm();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const cutOffMs = Date.now() - (this.#cutOffAt ?? Date.now());
      // Timers can fire a millisecond or two early; fencing promises "longer than fence_ms".
      if (cutOffMs < this.fenceMs) this.#arm(this.fenceMs - cutOffMs);
      else this.#onFenced(cutOffMs, false);
    }, delayMs);
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
