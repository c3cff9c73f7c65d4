/** Time as the scheduler sees it. Injected everywhere, so tests can drive it. */
export interface Clock {
  /** Milliseconds since the epoch (UTC). */
  now(): number;
  /**
   * Calls `callback` once `now()` has reached `atMs`. Returns a function that cancels it.
   * A callback may run late, never early.
   */
  setTimer(atMs: number, callback: () => void): () => void;
  /**
   * Calls `callback` once `delayMs` of elapsed time has passed, however the wall clock is
   * stepped meanwhile (by NTP, say): for durations (timeouts, grace periods, retry delays),
   * where {@link Clock.setTimer} is for instants of a schedule. Returns a function that cancels it.
   */
  after(delayMs: number, callback: () => void): () => void;
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

  after(delayMs: number, callback: () => void): () => void {
    // Node's timers run on a monotonic clock: a step of the wall clock does not move them.
    const handle = setTimeout(callback, Math.max(0, delayMs));
    return () => clearTimeout(handle);
  }
}

interface PendingTimer {
  /** On the wall clock (`setTimer`) or on the elapsed-time clock (`after`). */
  readonly on: 'wall' | 'elapsed';
  readonly atMs: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to: `set()` and `advance()` run the timers that come due,
 * in order. It keeps two times, as a real machine does: the wall clock (`now()`, `setTimer`),
 * which `set()` may step backwards or forwards (as NTP can), and the time elapsed (`after`),
 * which only `advance()` moves. A wall timer waits through a backward step; an elapsed one
 * does not notice it.
 */
export class ManualClock implements Clock {
  #now: number;
  #elapsed = 0;
  #seq = 0;
  #timers: PendingTimer[] = [];

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(atMs: number, callback: () => void): () => void {
    return this.#add({ on: 'wall', atMs, seq: this.#seq++, callback });
  }

  after(delayMs: number, callback: () => void): () => void {
    const atMs = this.#elapsed + Math.max(0, delayMs);
    return this.#add({ on: 'elapsed', atMs, seq: this.#seq++, callback });
  }

  /** Steps the wall clock to `ms` (forwards or backwards) and runs the timers now due. */
  set(ms: number): void {
    this.#now = ms;
    this.#runDue();
  }

  /**
   * Lets `ms` pass: both times move forward, and due timers run at their own moments, in
   * order.
   */
  advance(ms: number): void {
    const target = this.#elapsed + ms;
    for (;;) {
      const next = this.#earliest();
      if (next === undefined) break;
      const dueIn = Math.max(0, this.#dueIn(next));
      if (this.#elapsed + dueIn > target) break;
      this.#move(dueIn);
      this.#timers = this.#timers.filter((t) => t !== next);
      next.callback();
    }
    this.#move(target - this.#elapsed);
  }

  /** How many timers wait. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  #add(timer: PendingTimer): () => void {
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  #move(ms: number): void {
    this.#now += ms;
    this.#elapsed += ms;
  }

  #runDue(): void {
    for (;;) {
      const next = this.#earliest();
      if (next === undefined || this.#dueIn(next) > 0) return;
      this.#timers = this.#timers.filter((t) => t !== next);
      next.callback();
    }
  }

  #dueIn(timer: PendingTimer): number {
    return timer.atMs - (timer.on === 'wall' ? this.#now : this.#elapsed);
  }

  /** The timer due soonest (ties: the one set first). */
  #earliest(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    let bestIn = Infinity;
    for (const t of this.#timers) {
      const dueIn = this.#dueIn(t);
      if (best === undefined || dueIn < bestIn || (dueIn === bestIn && t.seq < best.seq)) {
        best = t;
        bestIn = dueIn;
      }
    }
    return best;
  }
}
