/**
 * Holds items until an instant (ms epoch, on this machine's clock) and hands over all those of
 * one instant in one call: one timer per distinct instant, however many items share it, so
 * that a thousand fires due at the same second start in one go.
 */
export class InstantQueue<T> {
  readonly #due = new Map<number, T[]>();
  readonly #timers = new Map<number, NodeJS.Timeout>();
  readonly #run: (items: T[]) => void;

  constructor(run: (items: T[]) => void) {
    this.#run = run;
  }

  /** Hands `item` over at `at`; at once (synchronously) when `at` has passed. */
  add(at: number, item: T): void {
    if (at <= Date.now()) {
      this.#run([item]);
      return;
    }
    const items = this.#due.get(at);
    if (items !== undefined) {
      items.push(item);
      return;
    }
    this.#due.set(at, [item]);
    this.#arm(at);
  }

  /** Takes every waiting item out, for good; their instants then hand over nothing. */
  drain(): T[] {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    const items = [...this.#due.values()].flat();
    this.#due.clear();
    return items;
  }

  #arm(at: number): void {
    // The delay is taken now, not when the batch arrived: work in between must not make the
    // timer late. Timers can also fire a little early; then it is armed again for the rest.
    const timer = setTimeout(() => {
      this.#timers.delete(at);
      if (Date.now() < at) {
        this.#arm(at);
        return;
      }
      const items = this.#due.get(at) ?? [];
      this.#due.delete(at);
      this.#run(items);
    }, at - Date.now());
    this.#timers.set(at, timer);
  }
}
