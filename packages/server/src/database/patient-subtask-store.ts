import type {
  NewSubtask,
  Subtask,
  SubtaskChange,
  SubtaskFence,
  SubtaskPatch,
  SubtaskQuery,
  SubtaskState,
  SubtaskStore,
} from '@carillon/core';
import type { DatabaseHealth } from './database-health.js';
import { Patience } from './patience.js';

/**
 * The subtask store as the server uses it, like `PatientExecutionStore`: every statement
 * reports to the {@link DatabaseHealth}, and every call is tried again, with backoff, for as
 * long as the database fails transiently. All of them may run again safely: inserts skip the
 * subtasks that exist, fenced changes that an earlier try committed count as applied (the store
 * checks), the rest are reads. So a `false` from a transition means the fence no longer held,
 * never that the database was unreachable: the subtask writer no longer takes an outage for
 * lost subtasks (which then ran twice). A subtask's later changes wait in the writer while a
 * batch with an earlier one is under way (retried or not), so they keep their order. After {@link stopRetrying} a failing call fails.
 */
export class PatientSubtaskStore implements SubtaskStore {
  readonly #store: SubtaskStore;
  readonly #patience: Patience;

  constructor(store: SubtaskStore, health: DatabaseHealth) {
    this.#store = store;
    this.#patience = new Patience(health);
  }

  /** Makes calls waiting for the database fail now, and later ones fail at their first error. */
  stopRetrying(): void {
    this.#patience.stopRetrying();
  }

  insertBatch(
    executionId: string,
    subtasks: readonly NewSubtask[],
    nowMs: number,
  ): Promise<readonly Subtask[]> {
    return this.#patiently(() => this.#store.insertBatch(executionId, subtasks, nowMs));
  }

  get(id: string): Promise<Subtask | undefined> {
    return this.#patiently(() => this.#store.get(id));
  }

  transition(fence: SubtaskFence, state: SubtaskState, patch?: SubtaskPatch): Promise<boolean> {
    return this.#patiently(() => this.#store.transition(fence, state, patch));
  }

  get batchesSideBySide(): boolean {
    return this.#store.batchesSideBySide;
  }

  transitionMany(changes: readonly SubtaskChange[]): Promise<boolean[]> {
    return this.#patiently(() => this.#store.transitionMany(changes));
  }

  listByExecution(executionId: string, query?: SubtaskQuery): Promise<readonly Subtask[]> {
    return this.#patiently(() => this.#store.listByExecution(executionId, query));
  }

  countByState(executionId: string): Promise<ReadonlyMap<SubtaskState, number>> {
    return this.#patiently(() => this.#store.countByState(executionId));
  }

  #patiently<T>(work: () => Promise<T>): Promise<T> {
    return this.#patience.run(work);
  }
}
