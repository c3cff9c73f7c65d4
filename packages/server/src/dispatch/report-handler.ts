import { executionRetryPolicy, shouldRetry } from '@carillon/core';
import { FENCED_ERROR_TYPE } from '@carillon/protocol';
import type { ClientReport } from '@carillon/protocol';
import type { Active, ActiveExecutions, ReportingClient } from './active-executions.js';
import { isDispatchedTo } from './active-executions.js';
import type { Admission } from './admission.js';
import type { DispatchParts } from './dispatch-parts.js';
import { describeError } from './execution-recorder.js';
import type { ParallelRuns } from './parallel-runs.js';

/**
 * What the server does with a client's reports about the executions it was sent. Reports about
 * attempts this server does not run are dropped, except a Result, which may free a slot held by
 * a handler that outlived its execution, or finish an execution this server owned before a
 * restart.
 */
export class ReportHandler {
  readonly #p: DispatchParts;
  readonly #active: ActiveExecutions;
  readonly #admission: Admission;
  readonly #parallel: ParallelRuns;

  constructor(
    parts: DispatchParts,
    active: ActiveExecutions,
    admission: Admission,
    parallel: ParallelRuns,
  ) {
    this.#p = parts;
    this.#active = active;
    this.#admission = admission;
    this.#parallel = parallel;
  }

  /** False when the report was refused: its execution was not dispatched to this client. */
  async handle(client: ReportingClient, report: ClientReport): Promise<boolean> {
    if (this.#parallel.owns(report.executionId)) return this.#parallel.report(client, report);
    const active = this.#active.get(report.executionId);
    // Another group's execution, or this attempt given to another client: refused. An older
    // attempt of this group's execution is only stale (its client was replaced) and dropped.
    if (
      active !== undefined &&
      !isDispatchedTo(active, client) &&
      (active.job.groupId !== client.groupId || active.execution.attempt === report.attempt)
    )
      return false;
    if (active !== undefined && active.execution.attempt === report.attempt) {
      await this.#apply(active, client.clientId, report);
      return true;
    }
    const handled = await this.#notRunningHere(client, report);
    // Emitted once handled: whoever awaits it sees the store as the report left it.
    if (active !== undefined)
      this.#p.o.events.emit('report:stale', {
        clientId: client.clientId,
        executionId: report.executionId,
        attempt: report.attempt,
        kind: report.kind,
      });
    return handled;
  }

  /** A report about an attempt not active here: a late Result may still be recorded. */
  async #notRunningHere(client: ReportingClient, report: ClientReport): Promise<boolean> {
    if (report.kind !== 'result') return true;
    if (this.#active.handlerReturned(client, report.executionId, report.attempt)) return true;
    // The first level's Result again (sent again after its stream broke, or answered again
    // from the client's memory), once its subtasks run: recorded late, it would end the
    // execution `succeeded` with its subtasks still pending.
    if (this.#parallel.running(report.executionId)) return true;
    return this.#p.recorder.lateResult(client, report);
  }

  async #apply(active: Active, clientId: string, report: ClientReport): Promise<void> {
    const { o, recorder, sends } = this.#p;
    // The first answer to a dispatch opens the client's window for the next one, of any of its
    // handlers (see `placeWaitingAfter`).
    if (this.#active.answered(active))
      this.#admission.placeWaitingAfter(active.job.groupId, active.job.handler);
    switch (report.kind) {
      case 'accepted':
        return;
      case 'subtaskChunk':
        if (active.job.kind !== 'parallel') return;
        // Persisted in order; a failure shows when the first level's Result is checked.
        await this.#parallel
          .chunk(report.executionId, report.firstPosition, report.payloads)
          .catch(() => undefined);
        return;
      case 'refused':
        sends.drop(report.executionId);
        await this.#admission.reroute(
          active,
          `refused by client ${clientId}: ${report.reason} ${report.message}`.trim(),
          true,
        );
        return;
      case 'started':
        // Told as it arrives, before its write lands: the write is folded with a Result that
        // may follow at once, and whoever listens must hear of the start before the end.
        o.events.emit('execution:started', {
          executionId: report.executionId,
          clientId,
          at: report.at,
        });
        // Not awaited: the write goes into the next batch, and the Result that may follow at
        // once must not wait for it. A slot held until the database answers is capacity lost
        // to the database's latency, and under a backlog that is what made the backlog grow.
        void this.#active.move(active, ['dispatched'], 'running', { startedAt: report.at });
        return;
      case 'log':
        recorder.log({
          executionId: report.executionId,
          at: report.at,
          level: report.level,
          message: report.message,
        });
        return;
      case 'progress':
        if (report.fraction !== null)
          await this.#active.move(active, ['running'], 'running', { progress: report.fraction });
        return;
      case 'result': {
        if (report.outcome === 'cancelled' && report.error?.type === FENCED_ERROR_TYPE) {
          // The client gave the run up on its own, cut off or stopped past the fence interval:
          // a lost client, whose work runs again as its job's onClientLost says. Ended as
          // cancelled, a run this server had not yet given away would be lost.
          const why = `client ${clientId} ${report.error.message}`;
          await this.#admission.redispatchOrFail(active, why, true);
          return;
        }
        // Its logs land before its final state (the recorder writes them first), so a
        // finished execution shows every line.
        let failed = report.outcome === 'failed';
        let reason = describeError(report);
        if (active.job.kind === 'parallel' && report.outcome === 'succeeded') {
          // The first level ended: its subtasks run on; a problem fails it like a throw.
          const problem = await this.#parallel.dispatchEnded(active, report);
          if (problem === null) return;
          failed = true;
          reason = problem;
        }
        if (
          failed &&
          shouldRetry(
            executionRetryPolicy(active.job),
            active.execution.attempt,
            report.error?.retryable !== false,
          )
        ) {
          await this.#admission.retryLater(active, reason ?? 'failed');
          return;
        }
        await this.#active.finish(active, failed ? 'failed' : report.outcome, {
          result: failed ? null : report.result,
          reason,
          finishedAt: report.at,
        });
        return;
      }
    }
  }
}
