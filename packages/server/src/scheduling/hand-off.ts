import type { Clock, Execution } from '@carillon/core';

/**
 * Holds fires claimed ahead until their hand-off to the dispatcher, `leadMs` before their
 * instant: one hand-off per instant, so that all fires of an instant (claimed in one statement
 * or in several) are routed together and reach each client in one batch. A fire already within
 * `leadMs` of its instant (claimed late, or with no claim-ahead margin) is handed off at once.
 */
export class HandOff {
  readonly #clock: Clock;
  readonly #leadMs: number;
  readonly #emit: (executions: Execution[]) => void;
  readonly #held = new Map<number, { executions: Execution[]; cancel: () => void }>();

  constructor(clock: Clock, leadMs: number, emit: (executions: Execution[]) => void) {
    this.#clock = clock;
    this.#leadMs = leadMs;
    this.#emit = emit;
  }

  /** Fires held for a later hand-off. */
  get size(): number {
    let count = 0;
    for (const held of this.#held.values()) count += held.executions.length;
    return count;
  }

  hold(executions: readonly Execution[]): void {
    const now = this.#clock.now();
    const due: Execution[] = [];
    for (const execution of executions) {
      const at = execution.scheduledAt;
      if (at - this.#leadMs <= now) {
        due.push(execution);
        continue;
      }
      const held = this.#held.get(at);
      if (held !== undefined) {
        held.executions.push(execution);
        continue;
      }
      // An instant of the schedule, like the claim's own timer: it follows a stepped clock.
      const cancel = this.#clock.setTimer(at - this.#leadMs, () => this.#handOff(at));
      this.#held.set(at, { executions: [execution], cancel });
    }
    if (due.length > 0) this.#emit(due);
  }

  /** Hands off everything held now, earliest instant first (the scheduler stops). */
  flush(): void {
    for (const at of [...this.#held.keys()].sort((a, b) => a - b)) this.#handOff(at);
  }

  #handOff(at: number): void {
    const held = this.#held.get(at);
    if (held === undefined) return;
    this.#held.delete(at);
    held.cancel();
    this.#emit(held.executions);
  }
}
