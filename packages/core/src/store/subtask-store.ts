import type { Subtask, SubtaskState } from '../execution.js';

/** A subtask to insert. `id` is made by the caller, so that a repeated insert is harmless. */
export interface NewSubtask {
  readonly id: string;
  /** A string or JSON text, as the job's `dispatch(ctx)` returned it. */
  readonly payload: string;
}

/**
 * The expected current values of a fenced subtask change: it applies only if the subtask is in
 * one of `from` at `attempt` (on `clientId`, when given) and its execution is still owned by
 * `ownerServerId`.
 */
export interface SubtaskFence {
  readonly id: string;
  readonly from: readonly SubtaskState[];
  /** Compared with the owner of the subtask's execution: a server that lost it loses its subtasks. */
  readonly ownerServerId: string;
  readonly attempt: number;
  /**
   * When set, the subtask must be on this client: a server recording a Result for a subtask
   * whose execution another server owns checks that the client reporting it still holds it.
   */
  readonly clientId?: string;
}

/** The columns a subtask transition may set besides `state`. */
export interface SubtaskPatch {
  readonly clientId?: string | null;
  readonly dispatchedAt?: number | null;
  readonly startedAt?: number | null;
  readonly finishedAt?: number | null;
  readonly result?: string | null;
  readonly reason?: string | null;
  /** Set to bump the attempt (a re-dispatch); must be the fence's attempt + 1. */
  readonly attempt?: number;
}

/** One fenced subtask change, for {@link SubtaskStore.transitionMany}. */
export interface SubtaskChange {
  readonly fence: SubtaskFence;
  readonly state: SubtaskState;
  readonly patch?: SubtaskPatch;
}

/** Which subtasks of an execution to list. */
export interface SubtaskQuery {
  /** Only these states; all when omitted. */
  readonly states?: readonly SubtaskState[];
  /** Only subtasks after this position (exclusive); default 0. */
  readonly afterSeq?: number;
  /** 1..1000; default 1000. */
  readonly limit?: number;
}

/** The subtasks of parallel jobs' executions (their second level). */
export interface SubtaskStore {
  /**
   * Inserts subtasks of an execution as `pending`, attempt 1, positions following the ones it
   * has, in the given order. A subtask whose id exists already is left as it is. Returns the
   * subtasks as stored (including ones that existed), in the given order.
   */
  insertBatch(
    executionId: string,
    subtasks: readonly NewSubtask[],
    nowMs: number,
  ): Promise<readonly Subtask[]>;

  get(id: string): Promise<Subtask | undefined>;

  /**
   * Compare-and-set, like `ExecutionStore.transition`: sets `state` and `patch` only if the
   * fence still holds. Returns whether it applied.
   */
  transition(fence: SubtaskFence, state: SubtaskState, patch?: SubtaskPatch): Promise<boolean>;

  /**
   * Applies many fenced changes in one transaction, in order, so that a server dispatching or
   * ending many subtasks pays one commit for them. Returns, per change, whether it applied.
   */
  transitionMany(changes: readonly SubtaskChange[]): Promise<boolean[]>;

  /**
   * True when `transitionMany` calls about different subtasks can run side by side and commit
   * together (row locks and a pool of connections); false where the database takes one writer
   * at a time (they would only queue).
   */
  readonly batchesSideBySide: boolean;

  /** Subtasks of an execution by position. */
  listByExecution(executionId: string, query?: SubtaskQuery): Promise<readonly Subtask[]>;

  /** How many subtasks of the execution are in each state (states with none are absent). */
  countByState(executionId: string): Promise<ReadonlyMap<SubtaskState, number>>;
}
