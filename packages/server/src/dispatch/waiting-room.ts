import type { Execution, Job } from '@carillon/core';

/** A fire waiting for a client with room. */
export interface Waiting {
  readonly execution: Execution;
  readonly job: Job;
  readonly giveUpAt: number;
  readonly exclude: ReadonlySet<string>;
}

/**
 * Fires that found no client with a free slot, by task group and handler, oldest first: only
 * a client of that group with that handler (connecting, or finishing work) can take them.
 */
export class WaitingRoom {
  readonly #byKey = new Map<string, Waiting[]>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(waiting: Waiting): void {
    const key = keyOf(waiting.job.groupId, waiting.job.handler);
    const list = this.#byKey.get(key);
    if (list === undefined) this.#byKey.set(key, [waiting]);
    else list.push(waiting);
    this.#size++;
  }

  /** Puts fires back at the front, in their order (they were taken but could not be placed). */
  restore(waiting: readonly Waiting[]): void {
    const first = waiting[0];
    if (first === undefined) return;
    const key = keyOf(first.job.groupId, first.job.handler);
    this.#byKey.set(key, [...waiting, ...(this.#byKey.get(key) ?? [])]);
    this.#size += waiting.length;
  }

  /** Removes and returns every fire waiting for a client of `groupId` with `handler`. */
  take(groupId: string, handler: string): Waiting[] {
    const key = keyOf(groupId, handler);
    const list = this.#byKey.get(key) ?? [];
    this.#byKey.delete(key);
    this.#size -= list.length;
    return list;
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

  /** Removes and returns the fires whose wait ended by `now`. */
  expire(now: number): Waiting[] {
    const expired: Waiting[] = [];
    for (const [key, list] of this.#byKey) {
      const keep = list.filter((w) => w.giveUpAt > now);
      if (keep.length === list.length) continue;
      expired.push(...list.filter((w) => w.giveUpAt <= now));
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
