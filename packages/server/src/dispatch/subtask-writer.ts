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
 * database commits. Batches go out one at a time, in order.
 *
 * The store given is the server's patient one (`PatientSubtaskStore`): it retries what the
 * database failed transiently, so a change resolves false only when its fence no longer holds.
 * An error here is a change the store refused (malformed: a bug) or a server stopping during an
 * outage; the batch is then written change by change, so that one bad change does not cost the
 * others their answer, and a change that still fails resolves false rather than hanging.
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
        // Taken whole: cutting one batch off the front of a long queue copied the rest each time.
        const taken = this.#queue;
        this.#queue = [];
        for (let i = 0; i < taken.length; i += BATCH) await this.#write(taken.slice(i, i + BATCH));
      }
    } finally {
      this.#writing = false;
    }
  }

  async #write(batch: readonly Queued[]): Promise<void> {
    try {
      const applied = await this.#store.transitionMany(batch.map((q) => q.change));
      batch.forEach((q, i) => q.done(applied[i] === true));
      return;
    } catch (error) {
      if (batch.length === 1) {
        this.#onError(error);
        batch[0]?.done(false);
        return;
      }
    }
    for (const q of batch) await this.#write([q]);
  }
}
