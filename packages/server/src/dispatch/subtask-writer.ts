import type { SubtaskChange, SubtaskStore } from '@carillon/core';

/** Changes per transaction, at most. */
const BATCH = 500;

interface Queued {
  readonly change: SubtaskChange;
  readonly done: (applied: boolean) => void;
}

/**
 * Folds the fenced subtask changes a server makes at about the same time into one transaction:
 * a change waits for the write under way (if any), then goes with every change queued meanwhile.
 * One commit per batch rather than one per subtask is what lets a fan-out go faster than the
 * database commits. A change whose batch fails resolves false (not applied), so that the caller
 * treats it as a lost fence rather than hanging.
 */
export class SubtaskWriter {
  readonly #store: SubtaskStore;
  readonly #onError: (error: unknown) => void;
  #queue: Queued[] = [];
  #writing = false;

  constructor(store: SubtaskStore, onError: (error: unknown) => void) {
    this.#store = store;
    this.#onError = onError;
  }

  /** Queues a change; resolves with whether it applied. */
  write(change: SubtaskChange): Promise<boolean> {
    return new Promise((done) => {
      this.#queue.push({ change, done });
      if (!this.#writing) setImmediate(() => void this.#drain());
    });
  }

  async #drain(): Promise<void> {
    if (this.#writing) return;
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.slice(0, BATCH);
        this.#queue = this.#queue.slice(batch.length);
        let applied: boolean[];
        try {
          applied = await this.#store.transitionMany(batch.map((q) => q.change));
        } catch (error) {
          this.#onError(error);
          applied = batch.map(() => false);
        }
        batch.forEach((q, i) => q.done(applied[i] === true));
      }
    } finally {
      this.#writing = false;
    }
  }
}
