import type {
  Execution,
  Job,
  Subtask,
  SubtaskChange,
  SubtaskState,
  SubtaskStore,
} from '@carillon/core';
import type { DispatchOrder } from '@carillon/protocol';
import type { ActiveExecutions } from './active-executions.js';
import type { DispatchParts } from './dispatch-parts.js';
import type { SubtaskQueue } from './subtask-queue.js';
import { shardOrderOf } from './share-runs.js';
import type { ShareKind } from './share-runs.js';
import { SubtaskWriter } from './subtask-writer.js';

/** What a parallel job's first level says in its Result (JSON). */
export interface DispatchSummary {
  readonly subtasks: number;
  readonly reduce: boolean;
  /** Set when the server made the subtasks itself: a sharded job's shards, broadcast shares. */
  readonly shares?: ShareKind;
}

/** A subtask (or the reduce step) sent to a client and not ended yet. */
export interface Sent {
  readonly run: Run;
  subtask: Subtask;
  clientId: string | null;
  /** The slot went with the client's stream (it counts again if the client names it). */
  slotGone: boolean;
  /** Set while the client's stream is gone: cancels the fence-interval wait. */
  orphaned: (() => void) | undefined;
}

/** A parallel execution whose first level ended: its subtasks run on the group's clients. */
export interface Run {
  execution: Execution;
  readonly job: Job;
  readonly summary: DispatchSummary;
  readonly pending: SubtaskQueue;
  /** A placement is due on the next turn of the event loop (placements are coalesced). */
  placing: boolean;
  readonly sent: Map<string, Sent>;
  /** The reduce step once it is sent. */
  reduce: { attempt: number; clientId: string | null; orphaned?: () => void } | undefined;
  ending: boolean;
  done: boolean;
  rechecking: boolean;
  /** Subtasks waiting out their retry backoff before they go back in the queue. */
  waiting: number;
  /**
   * Changes of subtasks no longer sent (ends, returns to pending) not yet written: the end
   * check waits for them. Batches commit side by side, so the last Result's write may land
   * before an earlier one's, and the store would show that one still in flight.
   */
  recording: number;
}

export const PAGE = 1000;
export const IN_FLIGHT: readonly SubtaskState[] = ['dispatched', 'running'];

/**
 * What the parts of `ParallelRuns` share on one server: its runs, the subtasks (and reduce
 * steps) it sent, the batched writer, and the small steps every part takes on a sent subtask.
 */
export class RunBook {
  readonly p: DispatchParts;
  readonly store: SubtaskStore;
  readonly active: ActiveExecutions;
  readonly runs = new Map<string, Run>();
  /** Subtasks (and reduce steps) sent, by their id. */
  readonly sent = new Map<string, Sent>();
  readonly writer: SubtaskWriter;

  constructor(parts: DispatchParts, store: SubtaskStore, active: ActiveExecutions) {
    this.p = parts;
    this.store = store;
    this.active = active;
    this.writer = new SubtaskWriter(store, (error) =>
      parts.o.logger.error({ err: error }, 'a subtask change could not be recorded'),
    );
  }

  settle(work: Promise<void>): void {
    work.catch((error: unknown) =>
      this.p.o.logger.warn({ err: error }, 'a subtask report could not be recorded'),
    );
  }

  /** Writes a change of a subtask no longer sent, counted in `run.recording` until written. */
  async record(run: Run, change: SubtaskChange): Promise<boolean> {
    run.recording++;
    // `write` never rejects (a change it cannot write resolves false).
    const applied = await this.writer.write(change);
    run.recording--;
    return applied;
  }

  /** Frees the client slot a sent subtask held. */
  free(sent: Sent): void {
    sent.orphaned?.();
    sent.orphaned = undefined;
    if (!sent.slotGone && sent.clientId !== null)
      this.p.pool.release(sent.clientId, sent.run.job.handler);
    sent.slotGone = true;
  }

  unsend(sent: Sent): void {
    if (this.sent.get(sent.subtask.id) === sent) this.sent.delete(sent.subtask.id);
    sent.run.sent.delete(sent.subtask.id);
  }

  fence(run: Run, subtask: Subtask, from: readonly SubtaskState[]) {
    return { id: subtask.id, from, ownerServerId: this.p.o.serverId, attempt: subtask.attempt };
  }
}

export function orderOf(run: Run, subtask: Subtask): DispatchOrder {
  const { execution, job } = run;
  // Built whole, the shard or subtask part set on the object made here: a copy as
  // `{ ...base, shard }` takes V8's slow path on Node 20 (a spread followed by a property the
  // spread object lacks), about 3 µs a subtask.
  const order: { -readonly [K in keyof DispatchOrder]: DispatchOrder[K] } = {
    executionId: subtask.id,
    attempt: subtask.attempt,
    jobId: job.id,
    jobName: job.name,
    handler: job.handler,
    param: execution.param,
    scheduledAt: execution.scheduledAt,
    timeoutMs: job.timeoutMs,
    cause: execution.cause,
  };
  if (run.summary.shares !== undefined) order.shard = shardOrderOf(run, subtask);
  else
    order.subtask = {
      parentExecutionId: execution.id,
      position: Math.max(1, subtask.seq),
      payload: subtask.payload,
    };
  return order;
}

export function parseSummary(text: string | null): DispatchSummary | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<DispatchSummary> | null;
    if (typeof value?.subtasks !== 'number' || !Number.isSafeInteger(value.subtasks)) return null;
    const shares =
      value.shares === 'sharded' || value.shares === 'broadcast' ? { shares: value.shares } : {};
    return { subtasks: value.subtasks, reduce: value.reduce === true, ...shares };
  } catch {
    return null;
  }
}
