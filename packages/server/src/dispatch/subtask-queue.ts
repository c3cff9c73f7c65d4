import type { Subtask } from '@carillon/core';

/**
 * The pending subtasks of a run, first in first out. An array with a moving head: `shift()` on
 * an array of 100,000 moves every element each time.
 */
export class SubtaskQueue {
  #items: Subtask[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(subtask: Subtask): void {
    this.#items.push(subtask);
  }

  shift(): Subtask | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const next = this.#items[this.#head];
    this.#head++;
    // Compacted now and then, so that the taken ones do not stay in memory.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return next;
  }

  /** The ids queued. */
  ids(): Set<string> {
    const ids = new Set<string>();
    for (let i = this.#head; i < this.#items.length; i++) ids.add(this.#items[i]!.id);
    return ids;
  }
}
