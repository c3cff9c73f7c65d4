import type { Execution } from '@carillon/core';
import type { CancelReason, ClientReport, DispatchOrder } from '@carillon/protocol';
import type { Active, ReportingClient } from './active-executions.js';
import { ActiveExecutions, isDispatchedTo } from './active-executions.js';
import { Admission, orderOf } from './admission.js';
import type { ClientLink } from './client-link.js';
import { ClientPool } from './client-pool.js';
import type { ClientLoad } from './client-pool.js';
import type { DispatchParts, DispatcherOptions } from './dispatch-parts.js';
import { ExecutionRecorder, IN_FLIGHT } from './execution-recorder.js';
import { OverlapGuard } from './overlap-guard.js';
import { ParallelRuns } from './parallel-runs.js';
import { ReportHandler } from './report-handler.js';
import { SendQueue } from './send-queue.js';
import { ShareStarter, shareKindOf } from './share-runs.js';

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
  #suspended: Execution[] | undefined;

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
        if (
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

  /** Takes claimed executions owned by this server and routes them (held while suspended). */
  take(executions: readonly Execution[]): void {
    if (this.#suspended !== undefined) {
      this.#suspended.push(...executions);
      return;
    }
    for (const execution of executions) void this.#admit(execution);
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
      // A dropped stream is not a dead client: it may be reconnecting, its handler still
      // running. Only after the fence interval, when a cut-off client has aborted its
      // handlers, is the work dispatched again or failed; a client back in time names it in
      // its hello and keeps it.
      active.slotGone = true;
      active.orphaned = o.clock.after(o.fenceMs, () => {
        active.orphaned = undefined;
        if (this.#active.get(active.execution.id) === active)
          void this.#admission.redispatchOrFail(active, reason, true);
      });
    }
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
      const order = orderOf(active.execution, active.job);
      const startAt = Math.max(active.execution.scheduledAt, now);
      orders.push(startAt > now ? { ...order, startAt } : order);
    }
    if (orders.length > 0) link.send(orders);
  }

  /**
   * A parallel execution adopted after its first level ended (a sharded or broadcast one after
   * its shares were stored) resumes its subtasks; any other
   * fire is admitted (routed to a client).
   */
  async #admit(execution: Execution): Promise<void> {
    const job = this.#p.o.jobOf(execution.jobId);
    const resumable =
      job !== undefined && (job.kind === 'parallel' || shareKindOf(job) !== undefined);
    if (resumable && (await this.#parallel.resume(execution, job))) return;
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
