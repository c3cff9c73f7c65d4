import type { Execution } from '@carillon/core';

/** How long an execution taken at a later attempt is remembered. */
const MEMORY_MS = 10 * 60_000;

/**
 * Which executions the dispatcher took at attempt 2 or later, lately, so that one given again
 * at the same attempt is routed once. A first attempt comes from a claim, made once, and is not
 * remembered (the common case costs nothing). A later one comes from a takeover (an adoption, or
 * a restart's), and an adoption tried again after its reply was lost returns the rows it moved,
 * which a concurrent adoption of the same server's (the standby watch's and the departed
 * server's) may have returned too.
 */
export class RetakenExecutions {
  /** `id#attempt` to when it was taken, oldest first. */
  readonly #taken = new Map<string, number>();

  /** False when the execution was taken at this attempt already; remembers it otherwise. */
  first(execution: Execution, nowMs: number): boolean {
    if (execution.attempt <= 1) return true;
    for (const [key, at] of this.#taken) {
      if (nowMs - at < MEMORY_MS) break;
      this.#taken.delete(key);
    }
    const key = `${execution.id}#${execution.attempt}`;
    if (this.#taken.has(key)) return false;
    this.#taken.set(key, nowMs);
    return true;
  }
}
