import type { Execution, Job } from '@carillon/core';
import type { CancelReason, ClientReport, DispatchOrder } from '@carillon/protocol';
import type { Active, ReportingClient } from './active-executions.js';
import { ActiveExecutions } from './active-executions.js';
import { Admission } from './admission.js';
import type { ClientLink } from './client-link.js';
import { ClientPool } from './client-pool.js';
import { ClientReturn } from './client-return.js';
import type { ClientLoad } from './client-pool.js';
import type { DispatchParts, DispatcherOptions } from './dispatch-parts.js';
import { ExecutionRecorder } from './execution-recorder.js';
import { OverlapGuard } from './overlap-guard.js';
import { ParallelRuns } from './parallel-runs.js';
import { ReportHandler } from './report-handler.js';
import { RetakenExecutions } from './retaken-executions.js';
import { SendQueue } from './send-queue.js';
import { ShareStarter, runsAsSubtasks } from './share-runs.js';

export type { DispatcherOptions } from './dispatch-parts.js';
export type { ReportingClient } from './active-executions.js';

/**
 * Hands claimed fires to clients and records what becomes of them. A fire is routed (a client
 * chosen, the execution marked dispatched under the owner's fence, then sent) as soon as it is
 * claimed, ahead of its instant, with the instant to start at: neither a database write nor
 * the wire sits between the instant and the handler, and a fire a peer adopted is never sent. (The price: a client that dies holding a fire costs that fire
 * the fence interval, as a running one would.)
 * Every change is a compare-and-set fenced by owner and attempt: a report about an older attempt,
 * or an execution that another server has adopted, changes nothing.
 *
 * The parts: {@link Admission} (overlap policy, routing, the waiting room and its backlog rule),
 * {@link ActiveExecutions} (the life of a routed execution and the slots it holds),
 * {@link ReportHandler} (the client's reports); this class joins them to the clients' streams.
 */
export class Dispatcher {
  readonly #p: DispatchParts;
  readonly #active: ActiveExecutions;
  readonly #admission: Admission;
  readonly #reports: ReportHandler;
  readonly #parallel: ParallelRuns;
  readonly #return: ClientReturn;
  #suspended: Execution[] | undefined;
  readonly #retaken = new RetakenExecutions();

  constructor(options: DispatcherOptions) {
    const o = {
      fenceMs: 10_000,
      notifyGroupChanged: () => Promise.resolve(),
      cancelWaitMs: 5_000,
      ...options,
    };
    this.#p = {
      o,
      pool: new ClientPool(),
      guard: new OverlapGuard(),
      sends: new SendQueue((link, orders) => this.#deliver(link, orders)),
      recorder: new ExecutionRecorder(options.serverId, options.executions, options.logger),
    };
    this.#active = new ActiveExecutions(this.#p, (job, queued) => {
      if (queued !== undefined)
        void this.#admission.route(
          queued,
          job,
          new Set(),
          queued.scheduledAt + job.dispatchTimeoutMs,
        );
      this.#admission.placeWaiting(job.groupId, job.handler);
      this.#parallel.placeAll();
    });
    this.#admission = new Admission(this.#p, this.#active);
    this.#admission.onTimeout = (active) => void this.#timeOut(active);
    this.#admission.onCancelPrevious = (previous, by) =>
      this.cancel(
        previous,
        'overlap',
        `replaced by execution ${by.id} (overlap policy cancel_previous)`,
      );
    this.#parallel = new ParallelRuns(this.#p, options.subtasks, this.#active);
    const shares = new ShareStarter(
      this.#p,
      options.subtasks,
      (execution, job, summary) => this.#parallel.startShares(execution, job, summary),
      (job, executionId) => this.#active.endHandedOver(job, executionId),
    );
    this.#admission.onShares = (execution, job, kind) => shares.start(execution, job, kind);
    this.#reports = new ReportHandler(this.#p, this.#active, this.#admission, this.#parallel);
    this.#return = new ClientReturn(this.#p, this.#active, this.#parallel, {
      orphan: (active, reason) => this.#orphan(active, reason),
      timeOut: (active) => void this.#timeOut(active),
    });
  }

  /**
   * Overlap state of jobs taken over from other servers: `forget` after a change of membership
   * (each job's foreign executions are read again before its next fire), `sweep` now and then
   * to release those that ended.
   */
  forgetForeignOverlap(jobIds?: readonly number[]): void {
    this.#admission.foreign.forget(jobIds);
  }

  async sweepForeignOverlap(): Promise<void> {
    await this.#admission.foreign.sweep(
      (queued, job) =>
        void this.#admission.route(
          queued,
          job,
          new Set(),
          queued.scheduledAt + job.dispatchTimeoutMs,
        ),
    );
  }

  /** Executions routed or running on clients of this server. */
  get inFlight(): number {
    return this.#active.size;
  }

  /** Free slots of the connected clients, all handlers together. */
  get freeClientSlots(): number {
    return this.#p.pool.freeSlots;
  }

  /** True when a connected client could run the job's fires (see `ClientPool.canRun`). */
  canRun(job: Job): boolean {
    return this.#p.pool.canRun(job);
  }

  /** Fires waiting for a client. */
  get waitingForClient(): number {
    return this.#admission.waiting.size;
  }

  /** True when this server routed the execution and awaits its outcome. */
  isActive(executionId: string): boolean {
    return this.#active.get(executionId) !== undefined;
  }

  /**
   * True when this server awaits a Result about `id`: an execution it routed, or a subtask (or
   * reduce step) of a parallel run it drives.
   */
  awaitsResult(id: string): boolean {
    return this.#active.get(id) !== undefined || this.#parallel.owns(id);
  }

  /** See {@link ClientReturn.resumeInPlace}. */
  resumeInPlace(executions: readonly Execution[]): void {
    this.#return.resumeInPlace(executions);
  }

  /** See {@link ClientReturn.reattach}. */
  reattach(
    client: ReportingClient,
    running: ReadonlyArray<{ executionId: string; attempt: number }>,
  ): Promise<void> {
    return this.#return.reattach(client, running);
  }

  /** True while `clientId` has a stream to this server. */
  holdsClient(clientId: string): boolean {
    return this.#p.pool.get(clientId) !== undefined;
  }

  /**
   * Takes claimed executions owned by this server and routes them (held while suspended). An
   * execution at an attempt is routed once: one given again at the same attempt is dropped.
   */
  take(executions: readonly Execution[]): void {
    if (this.#suspended !== undefined) {
      this.#suspended.push(...executions);
      return;
    }
    for (const execution of executions) if (this.#firstTake(execution)) void this.#admit(execution);
  }

  #firstTake(execution: Execution): boolean {
    if (this.#retaken.first(execution, this.#p.o.clock.now())) return true;
    this.#p.o.logger.warn(
      { executionId: execution.id, attempt: execution.attempt },
      'execution taken again at the same attempt (a retried adoption); routed once',
    );
    return false;
  }

  /**
   * While the coordinator session is suspended or lost this server may be partitioned and its
   * work adopted by peers: executions it takes are held, not routed, until `false`; then each
   * is routed, and one a peer adopted meanwhile fails its compare-and-set on owner and attempt.
   */
  setSuspended(suspended: boolean): void {
    if (suspended) {
      this.#suspended ??= [];
      return;
    }
    const held = this.#suspended ?? [];
    this.#suspended = undefined;
    this.take(held);
  }

  /** A client connected: fires that waited for one are routed again. */
  attach(link: ClientLink): void {
    this.#p.pool.add(link);
    this.#p.o.events.emit('client:connected', { clientId: link.clientId, groupId: link.groupId });
    for (const handler of link.handlers.keys()) this.#admission.placeWaiting(link.groupId, handler);
    this.#parallel.placeAll();
  }

  /** A client reported a different count of hung slots: fires may fit on it again. */
  /**
   * A client's heartbeat: what it runs for other servers counts against its capacity here, and
   * fires waiting for room are placed again when it has some.
   */
  heard(link: ClientLink, load: ClientLoad, hungChanged: boolean): void {
    if (this.#p.pool.heard(link.clientId, load) || hungChanged) this.hungSlotsChanged(link);
  }

  hungSlotsChanged(link: ClientLink): void {
    for (const handler of link.handlers.keys()) this.#admission.placeWaiting(link.groupId, handler);
    this.#parallel.placeAll();
  }

  /** A client's stream ended: what it had is dispatched again or fails, per the job's retries. */
  detach(clientId: string, why: string): void {
    const { o, pool, sends } = this.#p;
    const link = pool.remove(clientId);
    if (link === undefined) return;
    o.events.emit('client:disconnected', { clientId, groupId: link.groupId });
    this.#active.clientGone(clientId);
    this.#parallel.clientGone(clientId);
    const reason = `client ${clientId} ${why}`;
    for (const active of [...this.#active.values()]) {
      if (active.clientId !== clientId) continue;
      if (sends.drop(active.execution.id)) {
        void this.#admission.redispatchOrFail(active, reason, false);
        continue;
      }
      this.#orphan(active, reason);
    }
  }

  /**
   * A dropped stream is not a dead client: it may be reconnecting, its handler still running.
   * Only after the fence interval, when a cut-off client has aborted its handlers, is the work
   * dispatched again or failed; a client back in time names it in its hello and keeps it.
   */
  #orphan(active: Active, reason: string): void {
    const { o } = this.#p;
    active.slotGone = true;
    active.orphaned = o.clock.after(o.fenceMs, () => {
      active.orphaned = undefined;
      if (this.#active.get(active.execution.id) === active)
        void this.#admission.redispatchOrFail(active, reason, true);
    });
  }

  /**
   * Cancels executions: tells their clients to stop those in flight and records them as
   * cancelled, including fires not yet sent or still waiting for a client. A client's slot stays
   * taken until its handler returns.
   */
  cancel(
    executions: readonly Execution[],
    reason: CancelReason = 'requested',
    message = 'cancelled by a user',
  ): void {
    const { o, pool, sends } = this.#p;
    for (const execution of executions) {
      const active = this.#active.get(execution.id);
      if (active !== undefined) {
        // Not sent yet while its dispatch is being recorded: no handler to wait for.
        const unsent = sends.drop(execution.id) || active.recording === true;
        pool.get(active.clientId)?.cancel(execution.id, active.execution.attempt, reason, message);
        void this.#active.finish(active, 'cancelled', { reason: message }, !unsent);
        continue;
      }
      if (this.#parallel.cancel(execution.id, message)) continue;
      this.#admission.waiting.remove(execution.id);
      if (execution.state === 'claimed') {
        void this.#active.cas(execution, ['claimed'], 'cancelled', {
          reason: message,
          finishedAt: o.clock.now(),
        });
      }
    }
  }

  /**
   * Handles a report from a client. Reports about attempts this server does not run are dropped.
   * False when the report was refused: its execution was not dispatched to this client.
   */
  report(client: ReportingClient, report: ClientReport): Promise<boolean> {
    return this.#reports.handle(client, report);
  }

  /** Stops routing; flushes buffered logs. */
  async stop(): Promise<void> {
    this.#admission.waiting.stop();
    this.#p.sends.stop();
    this.#active.stop();
    this.#parallel.stop();
    await this.#p.recorder.flush();
  }

  /**
   * A parallel execution adopted after its first level ended (a sharded or broadcast one after
   * its shares were stored) resumes its subtasks; any other
   * fire is admitted (routed to a client).
   */
  async #admit(execution: Execution): Promise<void> {
    const job = this.#p.o.jobOf(execution.jobId);
    if (job !== undefined && runsAsSubtasks(job) && (await this.#parallel.resume(execution, job)))
      return;
    await this.#admission.admit(execution);
  }

  #deliver(link: ClientLink, orders: readonly DispatchOrder[]): void {
    link.send(orders);
    for (const order of orders) {
      const active = this.#active.get(order.executionId);
      if (active !== undefined)
        this.#p.o.events.emit('execution:dispatched', {
          execution: active.execution,
          clientId: link.clientId,
        });
    }
  }

  /**
   * The execution ran past its job's timeout: recorded `timed_out` and the client told to abort
   * it; its slot and the overlap policy's hold stay until the client says the handler returned.
   */
  async #timeOut(active: Active): Promise<void> {
    const reason = `timed out after ${active.job.timeoutMs} ms`;
    const unsent = this.#p.sends.drop(active.execution.id);
    this.#p.pool
      .get(active.clientId)
      ?.cancel(active.execution.id, active.execution.attempt, 'timed_out', reason);
    await this.#active.finish(active, 'timed_out', { reason }, !unsent);
  }
}
