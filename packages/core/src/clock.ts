/** Time as the scheduler sees it. Injected everywhere, so tests can drive it. */
export interface Clock {
  /** Milliseconds since the epoch (UTC). */
  now(): number;
  /**
   * Calls `callback` once `now()` has reached `atMs`. Returns a function that cancels it.
   * A callback may run late, never early.
   */
  setTimer(atMs: number, callback: () => void): () => void;
}

/** The real clock. Re-arms a timer that Node fires early (it can by ~2 ms), so it never fires early. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(atMs: number, callback: () => void): () => void {
    let handle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const delay = atMs - Date.now();
      if (delay <= 0) {
        handle = undefined;
        callback();
        return;
      }
      handle = setTimeout(arm, delay);
    };
    arm();
    return () => {
      if (handle !== undefined) clearTimeout(handle);
      handle = undefined;
    };
  }
}

interface PendingTimer {
  readonly atMs: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to: `set()` and `advance()` run the timers that come due,
 * in order. It may be stepped backwards (as a real clock can be by NTP); timers then wait.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: PendingTimer[] = [];

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(atMs: number, callback: () => void): () => void {
    const timer = { atMs, seq: this.#seq++, callback };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** Moves the clock to `ms` (forwards or backwards) and runs the timers now due. */
  set(ms: number): void {
    this.#now = ms;
    this.#runDue();
  }

  /** Moves the clock forward by `ms`, running due timers at their own instants, in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.atMs > target) break;
      this.#now = Math.max(this.#now, next.atMs);
      this.#timers = this.#timers.filter((t) => t !== next);
      next.callback();
    }
    this.#now = target;
  }

  /** How many timers wait. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  #runDue(): void {
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || next.atMs > this.#now) return;
      this.#timers = this.#timers.filter((t) => t !== next);
      next.callback();
    }
  }

  #earliest(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.#timers) {
      if (best === undefined || t.atMs < best.atMs || (t.atMs === best.atMs && t.seq < best.seq))
        best = t;
    }
    return best;
  }
}
