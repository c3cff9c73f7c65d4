import { isFinal } from '@carillon/core';
import type { Execution } from '@carillon/core';
import type { DispatchOrder } from '@carillon/protocol';
import type { Active, ActiveExecutions, ReportingClient } from './active-executions.js';
import { isDispatchedTo } from './active-executions.js';
import { orderOf } from './admission.js';
import type { DispatchParts } from './dispatch-parts.js';
import { IN_FLIGHT } from './execution-recorder.js';
import type { ParallelRuns } from './parallel-runs.js';

/** What {@link ClientReturn} asks of the dispatcher. */
export interface ClientReturnHooks {
  /** The client's stream is gone: dispatched again after the fence interval, unless it returns. */
  readonly orphan: (active: Active, reason: string) => void;
  /** The execution ran past its job's timeout. */
  readonly timeOut: (active: Active) => void;
}

/**
 * Executions that come back to this server on a client that still runs them: named in a
 * reconnecting client's hello, routed here before its stream broke, or adopted in flight from
 * a departed owner. Each becomes active on that client again, at the attempt it runs, instead
 * of being run a second time.
 */
export class ClientReturn {
  readonly #p: DispatchParts;
  readonly #active: ActiveExecutions;
  readonly #parallel: ParallelRuns;
  readonly #orphan: ClientReturnHooks['orphan'];
  readonly #timeOut: ClientReturnHooks['timeOut'];

  constructor(
    parts: DispatchParts,
    active: ActiveExecutions,
    parallel: ParallelRuns,
    hooks: ClientReturnHooks,
  ) {
    this.#p = parts;
    this.#active = active;
    this.#parallel = parallel;
    this.#orphan = hooks.orphan;
    this.#timeOut = hooks.timeOut;
  }

  /**
   * Executions adopted in flight (`ExecutionStore.adoptInFlight`), at the attempt their client
   * runs: each becomes active on that client here and its order is sent to it again at that
   * attempt, which the client answers as it does any order it has seen (accepted while it runs
   * it, its Result once it has one, a run only if it never got it). One whose client left
   * meanwhile is treated as that client's stream ending: dispatched again after the fence
   * interval, unless the client comes back.
   */
  resumeInPlace(executions: readonly Execution[]): void {
    const { o, pool } = this.#p;
    for (const execution of executions) {
      const job = o.jobOf(execution.jobId);
      if (job === undefined || execution.clientId === null) continue;
      if (this.#active.get(execution.id) !== undefined) continue;
      const active = this.#active.begin(execution, job, execution.clientId);
      const link = pool.get(execution.clientId);
      if (link === undefined) {
        this.#orphan(active, `client ${execution.clientId} left`);
        continue;
      }
      pool.reserveOn(link.clientId, job.handler);
      if (job.timeoutMs > 0) {
        // The job's timeout counts from the run's start, under the departed owner.
        const since = execution.startedAt ?? execution.dispatchedAt ?? o.clock.now();
        active.cancelTimeout = o.clock.after(
          Math.max(0, since + job.timeoutMs - o.clock.now()),
          () => this.#timeOut(active),
        );
      }
      link.send([orderOf(execution, job)]);
    }
  }

  /**
   * A reconnecting client names executions it still runs: those this server owns at that
   * attempt become active on it again (after a server restart, say), instead of being re-run.
   * What this server routed to the client and the client does not name is sent to it again.
   */
  async reattach(
    client: ReportingClient,
    running: ReadonlyArray<{ executionId: string; attempt: number }>,
  ): Promise<void> {
    const { o, pool } = this.#p;
    const { clientId, groupId } = client;
    await this.#resendUnnamed(client, running);
    this.#parallel.clientBack(client, running);
    for (const ref of running) {
      if (this.#parallel.owns(ref.executionId)) continue;
      if (this.#active.reattachHeld(client, ref.executionId, ref.attempt)) continue;
      const known = this.#active.get(ref.executionId);
      if (known !== undefined) {
        if (known.job.groupId === groupId && known.execution.attempt > ref.attempt)
          this.#cancelGivenUp(client, ref);
        else if (
          isDispatchedTo(known, client) &&
          known.execution.attempt === ref.attempt &&
          known.orphaned !== undefined
        ) {
          known.orphaned();
          known.orphaned = undefined;
          known.slotGone = false;
          pool.reserveOn(clientId, known.job.handler);
        }
        continue;
      }
      const stored = await o.executions.get(ref.executionId);
      if (stored !== undefined && stored.groupId === groupId && isOver(stored, ref.attempt)) {
        this.#cancelGivenUp(client, ref);
        continue;
      }
      const job = stored === undefined ? undefined : o.jobOf(stored.jobId);
      if (stored === undefined || job === undefined || stored.ownerServerId !== o.serverId)
        continue;
      // Only what was dispatched to this very client: a hello cannot adopt others' work.
      if (stored.clientId !== clientId || stored.groupId !== groupId) continue;
      if (
        stored.attempt !== ref.attempt ||
        !IN_FLIGHT.includes(stored.state) ||
        pool.get(clientId) === undefined
      )
        continue;
      pool.reserveOn(clientId, job.handler);
      this.#active.begin(stored, job, clientId);
    }
  }

  /**
   * The client runs an attempt that was given up while it was away (stopped, or cut off and
   * back before its own fence fired): its handler must not run on beside the next attempt.
   */
  #cancelGivenUp(client: ReportingClient, ref: { executionId: string; attempt: number }): void {
    this.#p.pool
      .get(client.clientId)
      ?.cancel(ref.executionId, ref.attempt, 'superseded', 'this attempt was given up');
  }

  /**
   * Orders written to a stream that broke may never have left this process (a server frozen
   * past the client's keepalive, say); the client's hello then does not name them, nor those it
   * finished meanwhile. Sent again at the same attempt, each ends with its real outcome: a
   * client runs an order it never got, and answers one it has finished with its Result, not a
   * second run. Waiting out the fence interval instead would fail them as lost.
   *
   * Each is read back first and sent only if this server still owns it at that attempt, in
   * flight on this client: while the stream was down a peer may have adopted it (this server
   * looked gone), and the client would run it at both attempts (`test/resend-fence.test.ts`).
   * One that is no longer ours is not sent; the fence interval or its new owner deals with it.
   */
  async #resendUnnamed(
    client: ReportingClient,
    running: ReadonlyArray<{ executionId: string; attempt: number }>,
  ): Promise<void> {
    const { o, pool, sends } = this.#p;
    if (pool.get(client.clientId) === undefined) return;
    const named = new Set(running.map((ref) => ref.executionId));
    // Orders still queued go out on this link anyway; one whose dispatch is still being
    // recorded is sent once the fence held, and not at all if a peer adopted it.
    const unnamed = [...this.#active.values()].filter(
      (active) =>
        isDispatchedTo(active, client) &&
        // A parallel execution's first level is its runs' to resume (see ParallelRuns).
        !this.#parallel.owns(active.execution.id) &&
        !named.has(active.execution.id) &&
        !sends.has(active.execution.id) &&
        active.recording !== true,
    );
    if (unnamed.length === 0) return;
    let stored: readonly (Execution | undefined)[];
    try {
      stored = await Promise.all(unnamed.map((a) => o.executions.get(a.execution.id)));
    } catch (error) {
      // Not known to be ours: nothing is resent; the fence interval deals with them as lost.
      o.logger.warn({ err: error }, 'could not check executions to resend; none resent');
      return;
    }
    const link = pool.get(client.clientId);
    if (link === undefined) return;
    const now = o.clock.now();
    const orders: DispatchOrder[] = [];
    for (const [i, active] of unnamed.entries()) {
      if (this.#active.get(active.execution.id) !== active) continue;
      const row = stored[i];
      if (
        row === undefined ||
        row.ownerServerId !== o.serverId ||
        row.attempt !== active.execution.attempt ||
        row.clientId !== client.clientId ||
        !IN_FLIGHT.includes(row.state)
      )
        continue;
      if (active.orphaned !== undefined) {
        active.orphaned();
        active.orphaned = undefined;
        active.slotGone = false;
        pool.reserveOn(client.clientId, active.job.handler);
      }
      const startAt = Math.max(active.execution.scheduledAt, now);
      orders.push(orderOf(active.execution, active.job, startAt > now ? startAt : undefined));
    }
    if (orders.length > 0) link.send(orders);
  }
}

/** True when the stored execution has gone past `attempt`: a later attempt, or its end. */
function isOver(stored: Execution, attempt: number): boolean {
  return stored.attempt > attempt || (stored.attempt === attempt && isFinal(stored.state));
}
