import { CarillonError, CoreErrorCode } from './errors.js';

/**
 * The states of an execution (one fire of a job). `claimed → dispatched → running →
 * succeeded | failed | timed_out | cancelled`, plus `skipped` for fires that the overlap or
 * misfire policy decided not to run (recorded all the same: nothing is silently lost), and
 * `partially_failed` for a parallel execution whose subtasks partly failed.
 */
export const ExecutionState = {
  Claimed: 'claimed',
  Dispatched: 'dispatched',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  TimedOut: 'timed_out',
  Cancelled: 'cancelled',
  Skipped: 'skipped',
  /** A parallel execution some of whose subtasks failed while others succeeded. */
  PartiallyFailed: 'partially_failed',
} as const;
export type ExecutionState = (typeof ExecutionState)[keyof typeof ExecutionState];

/** Every execution state, in lifecycle order. */
export const EXECUTION_STATES: readonly ExecutionState[] = Object.values(ExecutionState);

/** States in which an execution still has work ahead; the rest are final. */
export const UNFINISHED_STATES: readonly ExecutionState[] = [
  ExecutionState.Claimed,
  ExecutionState.Dispatched,
  ExecutionState.Running,
];

/** Why an execution exists. */
export const ExecutionCause = {
  Schedule: 'schedule',
  Manual: 'manual',
  Retry: 'retry',
  Failover: 'failover',
  Misfire: 'misfire',
} as const;
export type ExecutionCause = (typeof ExecutionCause)[keyof typeof ExecutionCause];

/** Every execution cause. */
export const EXECUTION_CAUSES: readonly ExecutionCause[] = Object.values(ExecutionCause);

const TRANSITIONS: Readonly<Record<ExecutionState, readonly ExecutionState[]>> = {
  // A claimed fire may be skipped (overlap, misfire) or cancelled before it reaches a client;
  // it may fail when no client can take it.
  claimed: ['dispatched', 'skipped', 'cancelled', 'failed'],
  // Dispatched may go back to claimed when the client refuses it or dies before starting,
  // so that it is dispatched again (same execution id, next attempt).
  dispatched: ['running', 'claimed', 'succeeded', 'failed', 'timed_out', 'cancelled'],
  // A parallel execution stays running while its subtasks run, then ends by their outcomes.
  running: ['claimed', 'succeeded', 'failed', 'timed_out', 'cancelled', 'partially_failed'],
  succeeded: [],
  failed: [],
  timed_out: [],
  cancelled: [],
  skipped: [],
  partially_failed: [],
};

/** True when the execution state machine allows `from → to`. */
export function canTransition(from: ExecutionState, to: ExecutionState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The states from which `to` can be reached in one step. */
export function statesLeadingTo(to: ExecutionState): ExecutionState[] {
  return EXECUTION_STATES.filter((from) => canTransition(from, to));
}

/**
 * Checks a transition against the state machine.
 *
 * @throws CarillonError `CARILLON_INVALID_TRANSITION` when it is not allowed.
 */
export function assertTransition(from: ExecutionState, to: ExecutionState): void {
  if (!canTransition(from, to)) {
    throw new CarillonError(
      CoreErrorCode.InvalidTransition,
      `execution cannot go from ${from} to ${to}`,
      {
        details: { from, to },
      },
    );
  }
}

/** True when the state is final (no transition leaves it). */
export function isFinal(state: ExecutionState): boolean {
  return TRANSITIONS[state].length === 0;
}

/** One fire of a job, as stored. Instants are ms since the epoch (UTC). */
export interface Execution {
  readonly id: string;
  readonly jobId: number;
  readonly groupId: string;
  /** The instant the fire was due (for manual fires: when it was asked for). */
  readonly scheduledAt: number;
  readonly cause: ExecutionCause;
  readonly state: ExecutionState;
  /** The server that owns the execution now; fencing compares it on every change. */
  readonly ownerServerId: string | null;
  /** Starts at 1; each re-dispatch (client died, server failover) adds one. */
  readonly attempt: number;
  readonly param: string | null;
  readonly clientId: string | null;
  readonly createdAt: number;
  readonly dispatchedAt: number | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly result: string | null;
  /** Why it failed, was skipped or cancelled, in words. */
  readonly reason: string | null;
  readonly progress: number | null;
  /** When a user asked to cancel it; the owning server carries the cancel out. */
  readonly cancelRequestedAt: number | null;
}

/** A log line of an execution. */
export interface ExecutionLog {
  readonly executionId: string;
  readonly seq: number;
  readonly at: number;
  readonly level: LogLevel;
  readonly message: string;
}

export const LogLevel = { Debug: 'debug', Info: 'info', Warn: 'warn', Error: 'error' } as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

/**
 * The states of a subtask (a unit of a parallel job's second level): `pending → dispatched →
 * running → succeeded | failed | timed_out | cancelled`. Dispatched and running go back to
 * pending when their client dies or refuses, to be dispatched again (next attempt).
 */
export const SubtaskState = {
  Pending: 'pending',
  Dispatched: 'dispatched',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  TimedOut: 'timed_out',
  Cancelled: 'cancelled',
} as const;
export type SubtaskState = (typeof SubtaskState)[keyof typeof SubtaskState];

/** Every subtask state, in lifecycle order. */
export const SUBTASK_STATES: readonly SubtaskState[] = Object.values(SubtaskState);

const SUBTASK_TRANSITIONS: Readonly<Record<SubtaskState, readonly SubtaskState[]>> = {
  pending: ['dispatched', 'cancelled', 'failed'],
  dispatched: ['running', 'pending', 'succeeded', 'failed', 'timed_out', 'cancelled'],
  running: ['pending', 'succeeded', 'failed', 'timed_out', 'cancelled'],
  succeeded: [],
  failed: [],
  timed_out: [],
  cancelled: [],
};

/** True when the subtask state machine allows `from → to`. */
export function canSubtaskTransition(from: SubtaskState, to: SubtaskState): boolean {
  return SUBTASK_TRANSITIONS[from].includes(to);
}

/** A subtask of a parallel job's execution, as stored. Instants are ms since the epoch. */
export interface Subtask {
  readonly id: string;
  readonly executionId: string;
  /** Position within its execution, from 1, in order of insertion. */
  readonly seq: number;
  /** What `dispatch(ctx)` returned for it: a string or JSON text. */
  readonly payload: string;
  readonly state: SubtaskState;
  /** Starts at 1; each re-dispatch adds one. */
  readonly attempt: number;
  readonly clientId: string | null;
  readonly createdAt: number;
  readonly dispatchedAt: number | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly result: string | null;
  readonly reason: string | null;
}
