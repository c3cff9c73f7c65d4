import type { SubtaskChange, SubtaskStore } from '@carillon/core';

/** Changes per transaction, at most. */
const BATCH = 500;
/**
 * Batches under way at once where the store takes them side by side. A batch spends most of
 * its time waiting for the database (its locked read, its writes, its commit's flush): with
 * one at a time, the changes queued meanwhile wait for all of that, and on MariaDB the writer
 * was the whole fan-out's limit (bench/fan-out.ts).
 */
const SIDE_BY_SIDE = 4;

interface Queued {
  readonly change: SubtaskChange;
  readonly done: (applied: boolean) => void;
}

/**
 * Folds the fenced subtask changes a server makes at about the same time into one transaction:
 * a change waits for a free batch (if all are under way), then goes with every change queued
 * meanwhile, up to {@link BATCH}. One commit per batch rather than one per subtask is what lets
 * a fan-out go faster than the database commits. Where the store takes batches side by side,
 * up to {@link SIDE_BY_SIDE} are under way at once, else one.
 *
 * The changes of one subtask apply in the order they were made: a change waits while a batch
 * under way holds an earlier change of its subtask (and so do the changes of that subtask
 * queued after it). Changes of different subtasks carry no order between them.
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
  readonly #atOnce: number;
  /** Queued changes from `#head` on; taken ones before it. */
  #queue: Queued[] = [];
  #head = 0;
  /** Subtasks with a change in a batch under way. */
  readonly #busy = new Map<string, number>();
  #writing = 0;
  #due = false;

  constructor(store: SubtaskStore, onError: (error: unknown) => void) {
    this.#store = store;
    this.#onError = onError;
    this.#atOnce = store.batchesSideBySide ? SIDE_BY_SIDE : 1;
  }

  /** Queues a change; resolves with whether it applied. */
  write(change: SubtaskChange): Promise<boolean> {
    return new Promise((done) => this.enqueue(change, done));
  }

  /**
   * Queues changes made together; resolves once, with whether each applied, in their order.
   * One promise for a placement's hundreds of subtasks rather than one per subtask: their
   * allocation and settling were a visible share of the server's CPU in a fan-out.
   */
  writeAll(changes: readonly SubtaskChange[]): Promise<boolean[]> {
    return new Promise((resolve) => {
      const applied = new Array<boolean>(changes.length).fill(false);
      let left = changes.length;
      if (left === 0) return resolve(applied);
      changes.forEach((change, i) =>
        this.enqueue(change, (ok) => {
          applied[i] = ok;
          if (--left === 0) resolve(applied);
        }),
      );
    });
  }

  /**
   * Queues a change without a promise: `done` is called with whether it applied, once its
   * batch ended. `done` must not throw (one that does is reported to the error handler).
   */
  enqueue(change: SubtaskChange, done: (applied: boolean) => void): void {
    this.#queue.push({ change, done });
    // On the next turn: the changes made in this one go together.
    if (!this.#due && this.#writing < this.#atOnce) {
      this.#due = true;
      setImmediate(() => {
        this.#due = false;
        this.#start();
      });
    }
  }

  /** Starts batches while there is room and something to write. */
  #start(): void {
    while (this.#writing < this.#atOnce) {
      const batch = this.#take();
      if (batch.length === 0) return;
      this.#writing++;
      for (const q of batch)
        this.#busy.set(q.change.fence.id, (this.#busy.get(q.change.fence.id) ?? 0) + 1);
      void this.#write(batch).finally(() => {
        for (const q of batch) {
          const id = q.change.fence.id;
          const n = (this.#busy.get(id) ?? 1) - 1;
          if (n === 0) this.#busy.delete(id);
          else this.#busy.set(id, n);
        }
        this.#writing--;
        this.#start();
      });
    }
  }

  /**
   * Takes the next batch off the queue, in order, leaving the changes whose subtask has one
   * under way (or left behind here) for a later batch.
   */
  #take(): Queued[] {
    const batch: Queued[] = [];
    const left: Queued[] = [];
    const leftIds = new Set<string>();
    let i = this.#head;
    for (; i < this.#queue.length && batch.length < BATCH; i++) {
      const q = this.#queue[i]!;
      const id = q.change.fence.id;
      if (this.#busy.has(id) || leftIds.has(id)) {
        left.push(q);
        leftIds.add(id);
      } else {
        batch.push(q);
      }
    }
    // The ones left go back just before the unread rest, in order: the rest is not copied
    // (cutting a batch off the front of a long queue copied the rest each time).
    this.#head = i - left.length;
    for (let k = 0; k < left.length; k++) this.#queue[this.#head + k] = left[k]!;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return batch;
  }

  async #write(batch: readonly Queued[]): Promise<void> {
    try {
      const applied = await this.#store.transitionMany(batch.map((q) => q.change));
      batch.forEach((q, i) => this.#answer(q, applied[i] === true));
      return;
    } catch (error) {
      if (batch.length === 1) {
        this.#onError(error);
        if (batch[0] !== undefined) this.#answer(batch[0], false);
        return;
      }
    }
    for (const q of batch) await this.#write([q]);
  }

  /** Answers one change; a callback that throws must not cost the rest of the batch theirs. */
  #answer(q: Queued, applied: boolean): void {
    try {
      q.done(applied);
    } catch (error) {
      this.#onError(error);
    }
  }
}
