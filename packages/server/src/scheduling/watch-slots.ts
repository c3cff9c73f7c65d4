import type { Clock } from '@carillon/core';

/** A fire a standby will look at. */
export interface Watched {
  readonly jobId: number;
  readonly scheduledAt: number;
  /** Rescue was put off once already (no client here): now it is done whatever the clients. */
  readonly deferred?: boolean;
}

/**
 * The fires a standby will look at, by time slot, each slot on a timer of its own, so that the
 * fires due within one slot are read together (one statement however many fires and jobs).
 */
export class WatchSlots {
  readonly #clock: Clock;
  readonly #slotMs: number;
  readonly #onDue: (slot: number) => void;
  readonly #slots = new Map<number, Watched[]>();
  readonly #timers = new Map<number, () => void>();

  /** `onDue` is called with a slot when its time comes; it takes the slot's fires ({@link take}). */
  constructor(clock: Clock, slotMs: number, onDue: (slot: number) => void) {
    this.#clock = clock;
    this.#slotMs = slotMs;
    this.#onDue = onDue;
  }

  /** Fires in all slots. */
  get size(): number {
    let n = 0;
    for (const fires of this.#slots.values()) n += fires.length;
    return n;
  }

  /** Adds `fire` to the slot of `checkAt`; without one, makes sure that slot runs. */
  add(fire: Watched | undefined, checkAt: number): void {
    // Never a slot already due: its timer would run at once, one read per fire added, and a
    // slot whose check is under way (its read is slow) would start a second check beside it.
    const slot = this.#slotOf(Math.max(checkAt, this.#clock.now() + 1));
    const fires = this.#slots.get(slot);
    if (fires !== undefined) {
      if (fire !== undefined) fires.push(fire);
      return;
    }
    this.#slots.set(slot, fire === undefined ? [] : [fire]);
    this.#timers.set(
      slot,
      this.#clock.setTimer(slot, () => this.#onDue(slot)),
    );
  }

  /** True when the fire is already in the slot of `checkAt`. */
  has(jobId: number, scheduledAt: number, checkAt: number): boolean {
    const same = (f: Watched) => f.jobId === jobId && f.scheduledAt === scheduledAt;
    return this.#slots.get(this.#slotOf(checkAt))?.some(same) === true;
  }

  /** Takes the fires of `slot` out, its timer done. */
  take(slot: number): Watched[] {
    this.#timers.delete(slot);
    const fires = this.#slots.get(slot) ?? [];
    this.#slots.delete(slot);
    return fires;
  }

  /** Cancels every slot's timer; the fires stay, for {@link takeAll}. */
  stopTimers(): void {
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
  }

  /** Takes the fires of every slot out (after {@link stopTimers}). */
  takeAll(): Watched[] {
    const fires = [...this.#slots.values()].flat();
    this.#slots.clear();
    return fires;
  }

  #slotOf(checkAt: number): number {
    return Math.ceil(checkAt / this.#slotMs) * this.#slotMs;
  }
}
