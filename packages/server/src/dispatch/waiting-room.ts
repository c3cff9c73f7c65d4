import type { Clock, Execution, Job } from '@carillon/core';

/** A fire waiting for a client with room. */
export interface Waiting {
  readonly execution: Execution;
  readonly job: Job;
  /** When it stops waiting and is recorded as not dispatched (ms epoch). */
  readonly giveUpAt: number;
  readonly exclude: ReadonlySet<string>;
}

// How often the room looks for fires past their give-up instant. A fire may outlive its
// deadline by this much; the deadline is a policy of seconds, not of milliseconds.
const SWEEP_MS = 250;

/**
 * Fires that found no client with a free slot, by task group and handler (only a client of that
 * group with that handler can take them), each list in order of scheduled instant.
 *
 * The order in which they leave is the backlog rule: first the fire due most recently (newest
 * first among those whose instant has passed), and only when none is due, the next fire not yet
 * due (sent ahead of its instant). A fire that waited past its job's dispatch timeout leaves
 * through `onExpired` instead, never sent. So a backlog never delays fires due now behind fires
 * about to expire, and capacity is never spent on work that will be thrown away.
 */
export class WaitingRoom {
  readonly #byKey = new Map<string, Waiting[]>();
  readonly #clock: Clock;
  readonly #onExpired: (expired: readonly Waiting[]) => void;
  #size = 0;
  #timer: (() => void) | undefined;

  constructor(clock: Clock, onExpired: (expired: readonly Waiting[]) => void) {
    this.#clock = clock;
    this.#onExpired = onExpired;
  }

  get size(): number {
    return this.#size;
  }

  add(waiting: Waiting): void {
    const key = keyOf(waiting.job.groupId, waiting.job.handler);
    let list = this.#byKey.get(key);
    if (list === undefined) {
      list = [];
      this.#byKey.set(key, list);
    }
    // Fires mostly arrive in instant order: the search only walks back over out-of-order ones.
    let i = list.length;
    while (i > 0 && (list[i - 1]?.execution.scheduledAt ?? 0) > waiting.execution.scheduledAt) i--;
    if (i === list.length) list.push(waiting);
    else list.splice(i, 0, waiting);
    this.#size++;
    this.#arm();
  }

  /**
   * Removes and returns the next fire for a client of `groupId` with `handler` by the backlog
   * rule, among those `canPlace` accepts (a fire may exclude the clients that have room).
   * Undefined when none.
   */
  next(groupId: string, handler: string, canPlace: (w: Waiting) => boolean): Waiting | undefined {
    const key = keyOf(groupId, handler);
    const list = this.#byKey.get(key);
    if (list === undefined) return undefined;
    const now = this.#clock.now();
    // The lists are sorted by instant: the fires due by now are those before `due`.
    let due = 0;
    for (let hi = list.length; due < hi;) {
      const mid = (due + hi) >>> 1;
      if ((list[mid]?.execution.scheduledAt ?? 0) <= now) due = mid + 1;
      else hi = mid;
    }
    // Newest due first, then the earliest not yet due.
    for (const i of chain(range(due - 1, -1, -1), range(due, list.length, 1))) {
      const w = list[i];
      if (w === undefined || w.giveUpAt <= now || !canPlace(w)) continue;
      list.splice(i, 1);
      if (list.length === 0) this.#byKey.delete(key);
      this.#size--;
      return w;
    }
    return undefined;
  }

  /** The handlers of `groupId` that fires wait for. */
  handlersOf(groupId: string): string[] {
    const prefix = keyOf(groupId, '');
    const handlers: string[] = [];
    for (const key of this.#byKey.keys())
      if (key.startsWith(prefix)) handlers.push(key.slice(prefix.length));
    return handlers;
  }

  /** True when fires wait for a client of `groupId` with `handler`. */
  holds(groupId: string, handler: string): boolean {
    return this.#byKey.has(keyOf(groupId, handler));
  }

  /** Removes one fire, if it waits. */
  remove(executionId: string): Waiting | undefined {
    for (const [key, list] of this.#byKey) {
      const i = list.findIndex((w) => w.execution.id === executionId);
      if (i < 0) continue;
      const [found] = list.splice(i, 1);
      if (list.length === 0) this.#byKey.delete(key);
      this.#size--;
      return found;
    }
    return undefined;
  }

  /** Stops the give-up timer; the fires stay where they are. */
  stop(): void {
    this.#timer?.();
    this.#timer = undefined;
  }

  #arm(): void {
    this.#timer ??= this.#clock.after(SWEEP_MS, () => {
      this.#timer = undefined;
      const expired = this.#expire(this.#clock.now());
      if (expired.length > 0) this.#onExpired(expired);
      if (this.#size > 0) this.#arm();
    });
  }

  #expire(now: number): Waiting[] {
    const expired: Waiting[] = [];
    for (const [key, list] of this.#byKey) {
      if (!list.some((w) => w.giveUpAt <= now)) continue;
      const keep: Waiting[] = [];
      for (const w of list) (w.giveUpAt <= now ? expired : keep).push(w);
      if (keep.length === 0) this.#byKey.delete(key);
      else this.#byKey.set(key, keep);
    }
    this.#size -= expired.length;
    return expired;
  }
}

function keyOf(groupId: string, handler: string): string {
  return `${groupId}\u0000${handler}`;
}

/** Indices from `from` towards `to` (exclusive), lazily: `next` usually stops at the first. */
function* range(from: number, to: number, step: 1 | -1): Generator<number> {
  for (let i = from; step > 0 ? i < to : i > to; i += step) yield i;
}

function* chain(...parts: Iterable<number>[]): Generator<number> {
  for (const part of parts) yield* part;
}
