import type {
  Clock,
  Execution,
  ExecutionPatch,
  ExecutionState,
  ExecutionStore,
  Job,
  Logger,
} from '@carillon/core';
import { ExecutionCause } from '@carillon/core';
import type { ServerEventBus } from '../events.js';
import type { CancelReason, ClientReport, DispatchOrder } from '@carillon/protocol';
import type { ClientLink } from './client-link.js';
import { ClientPool } from './client-pool.js';
import { ExecutionRecorder, IN_FLIGHT, describeError } from './execution-recorder.js';
import { OverlapGuard } from './overlap-guard.js';
import { SendQueue } from './send-queue.js';
import { WaitingRoom } from './waiting-room.js';

/** Settings of the {@link Dispatcher}. */
export interface DispatcherOptions {
  readonly serverId: string;
  readonly executions: ExecutionStore;
  /** The job of an execution, if this server holds it. */
  readonly jobOf: (jobId: number) => Job | undefined;
  readonly clock: Clock;
  readonly events: ServerEventBus;
  readonly logger: Logger;
  /** A fire that finds no client waits this long for one, then fails. Default 10,000 ms. */
  readonly noClientTimeoutMs?: number;
  /** Delay before a retry after a retryable failure, doubled per attempt. Default 1,000 ms. */
  readonly retryDelayMs?: number;
  /**
   * How long a client cut off from every server keeps running handlers (told to clients in
   * the welcome); work of a vanished client waits this long before it runs again. Default 10,000 ms.
   */
  readonly fenceMs?: number;
}

/** An execution this server has routed to a client, or is about to. */
interface Active {
  execution: Execution;
  readonly job: Job;
  readonly clientId: string;
  cancelTimeout: (() => void) | undefined;
  /** Set while the client's stream is gone: cancels the fence-interval wait. */
  orphaned?: (() => void) | undefined;
  /** The slot went with the client's old link (it counts again if the client names it). */
  slotGone?: boolean;
}

/**
 * Hands claimed fires to clients and records what becomes of them. A fire is routed (a client
 * chosen, the execution marked dispatched) and sent as soon as it is claimed, ahead of its
 * instant, with the instant to start at: neither a database write nor the wire sits between
 * the instant and the handler. (The price: a client that dies holding a fire costs that fire
 * the fence interval, as a running one would.)
 * Every change is a compare-and-set fenced by owner and attempt: a report about an older attempt,
 * or an execution that another server has adopted, changes nothing.
 */
export class Dispatcher {
  readonly #o: Required<DispatcherOptions>;
  readonly #pool = new ClientPool();
  readonly #guard = new OverlapGuard();
  readonly #active = new Map<string, Active>();
  readonly #waiting = new WaitingRoom();
  readonly #sends: SendQueue;
  readonly #recorder: ExecutionRecorder;
  #sweepTimer: NodeJS.Timeout | undefined;

  constructor(options: DispatcherOptions) {
    this.#o = { noClientTimeoutMs: 10_000, retryDelayMs: 1_000, fenceMs: 10_000, ...options };
    this.#recorder = new ExecutionRecorder(options.serverId, options.executions, options.logger);
    this.#sends = new SendQueue((link, orders) => this.#deliver(link, orders));
  }

  /** Executions routed or running on clients of this server. */
  get inFlight(): number {
    return this.#active.size;
  }

  /** Fires waiting for a client. */
  get waitingForClient(): number {
    return this.#waiting.size;
  }

  /** True when this server routed the execution and awaits its outcome. */
  isActive(executionId: string): boolean {
    return this.#active.has(executionId);
  }

  /**
   * A reconnecting client names executions it still runs: those this server owns at that
   * attempt become active on it again (after a server restart, say), instead of being re-run.
   */
  async reattach(
    clientId: string,
    running: ReadonlyArray<{ executionId: string; attempt: number }>,
  ): Promise<void> {
    for (const ref of running) {
      const known = this.#active.get(ref.executionId);
      if (known !== undefined) {
        if (
          known.clientId === clientId &&
          known.execution.attempt === ref.attempt &&
          known.orphaned !== undefined
        ) {
          known.orphaned();
          known.orphaned = undefined;
          known.slotGone = false;
          this.#pool.reserveOn(clientId, known.job.handler);
        }
        continue;
      }
      const stored = await this.#o.executions.get(ref.executionId);
      const job = stored === undefined ? undefined : this.#o.jobOf(stored.jobId);
      if (stored === undefined || job === undefined || stored.ownerServerId !== this.#o.serverId)
        continue;
      if (
        stored.attempt !== ref.attempt ||
        !IN_FLIGHT.includes(stored.state) ||
        this.#pool.get(clientId) === undefined
      )
        continue;
      this.#pool.reserveOn(clientId, job.handler);
      this.#guard.begin(job.id, stored.id);
      this.#active.set(stored.id, { execution: stored, job, clientId, cancelTimeout: undefined });
    }
  }

  /** Takes claimed executions owned by this server and routes them. */
  take(executions: readonly Execution[]): void {
    for (const execution of executions) void this.#admit(execution, new Set());
  }

  /** A client connected: fires that waited for one are routed again. */
  attach(link: ClientLink): void {
    this.#pool.add(link);
    this.#o.events.emit('client:connected', { clientId: link.clientId, groupId: link.groupId });
    for (const handler of link.handlers.keys()) this.#retryWaiting(link.groupId, handler);
  }

  /** A client's stream ended: what it had is dispatched again or fails, per the job's retries. */
  detach(clientId: string, why: string): void {
    const link = this.#pool.remove(clientId);
    if (link === undefined) return;
    this.#o.events.emit('client:disconnected', { clientId, groupId: link.groupId });
    const reason = `client ${clientId} ${why}`;
    for (const active of [...this.#active.values()]) {
      if (active.clientId !== clientId) continue;
      if (this.#sends.drop(active.execution.id)) {
        void this.#redispatchOrFail(active, reason, false);
        continue;
      }
      // A dropped stream is not a dead client: it may be reconnecting, its handler still
      // running. Only after the fence interval, when a cut-off client has aborted its
      // handlers, is the work dispatched again or failed; a client back in time names it in
      // its hello and keeps it.
      active.slotGone = true;
      active.orphaned = this.#o.clock.setTimer(this.#o.clock.now() + this.#o.fenceMs, () => {
        active.orphaned = undefined;
        if (this.#active.get(active.execution.id) === active)
          void this.#redispatchOrFail(active, reason, true);
      });
    }
  }

  /**
   * Cancels executions: tells their clients to stop those in flight and records them as
   * cancelled, including fires not yet sent or still waiting for a client.
   */
  cancel(
    executions: readonly Execution[],
    reason: CancelReason = 'requested',
    message = 'cancelled by a user',
  ): void {
    for (const execution of executions) {
      const active = this.#active.get(execution.id);
      if (active !== undefined) {
        this.#sends.drop(execution.id);
        this.#pool
          .get(active.clientId)
          ?.cancel(execution.id, active.execution.attempt, reason, message);
        void this.#finish(active, 'cancelled', { reason: message });
        continue;
      }
      this.#waiting.remove(execution.id);
      if (execution.state === 'claimed') {
        void this.#cas(execution, ['claimed'], 'cancelled', {
          reason: message,
          finishedAt: this.#o.clock.now(),
        });
      }
    }
  }

  /** Handles a report from a client. Reports about attempts this server does not run are dropped. */
  async report(clientId: string, report: ClientReport): Promise<void> {
    const active = this.#active.get(report.executionId);
    if (
      active === undefined ||
      active.clientId !== clientId ||
      active.execution.attempt !== report.attempt
    ) {
      if (report.kind === 'result') await this.#recorder.lateResult(report);
      return;
    }
    switch (report.kind) {
      case 'accepted':
        return;
      case 'refused':
        this.#sends.drop(report.executionId);
        await this.#reroute(
          active,
          `refused by client ${clientId}: ${report.reason} ${report.message}`.trim(),
          true,
        );
        return;
      case 'started': {
        const ok = await this.#move(active, ['dispatched'], 'running', { startedAt: report.at });
        if (ok)
          this.#o.events.emit('execution:started', {
            executionId: report.executionId,
            clientId,
            at: report.at,
          });
        return;
      }
      case 'log':
        this.#recorder.log({
          executionId: report.executionId,
          at: report.at,
          level: report.level,
          message: report.message,
        });
        return;
      case 'progress':
        if (report.fraction !== null)
          await this.#move(active, ['running'], 'running', { progress: report.fraction });
        return;
      case 'result': {
        // Its logs land before its final state, so a finished execution shows every line.
        await this.#recorder.flushLogsOf(report.executionId);
        const failed = report.outcome === 'failed';
        const reason = describeError(report);
        if (
          failed &&
          report.error?.retryable !== false &&
          active.execution.attempt <= active.job.maxRetries
        ) {
          await this.#retryLater(active, reason ?? 'failed');
          return;
        }
        await this.#finish(active, report.outcome, {
          result: report.result,
          reason,
          finishedAt: report.at,
        });
        return;
      }
    }
  }

  /** Stops routing; flushes buffered logs. */
  async stop(): Promise<void> {
    if (this.#sweepTimer !== undefined) clearTimeout(this.#sweepTimer);
    this.#sends.stop();
    for (const active of this.#active.values()) active.cancelTimeout?.();
    await this.#recorder.flush();
  }

  async #admit(execution: Execution, exclude: ReadonlySet<string>): Promise<void> {
    const job = this.#o.jobOf(execution.jobId);
    if (job === undefined) {
      await this.#cas(execution, ['claimed'], 'failed', {
        reason: `job ${execution.jobId} is not held by server ${this.#o.serverId} (deleted or moved)`,
        finishedAt: this.#o.clock.now(),
      });
      return;
    }
    const decision = this.#guard.decide(job, execution);
    switch (decision.action) {
      case 'skip':
        if (
          await this.#cas(execution, ['claimed'], 'skipped', {
            reason: decision.reason,
            finishedAt: this.#o.clock.now(),
          })
        ) {
          this.#o.events.emit('execution:skipped', {
            executionId: execution.id,
            jobId: job.id,
            reason: decision.reason,
          });
        }
        return;
      case 'queue':
        return;
      case 'cancel_previous':
        this.cancel(
          decision.previous.flatMap((id) => this.#active.get(id)?.execution ?? []),
          'overlap',
          `replaced by execution ${execution.id} (overlap policy cancel_previous)`,
        );
        break;
      case 'run':
        break;
    }
    await this.#route(execution, job, exclude, this.#o.clock.now() + this.#o.noClientTimeoutMs);
  }

  async #route(
    execution: Execution,
    job: Job,
    exclude: ReadonlySet<string>,
    giveUpAt: number,
  ): Promise<void> {
    const link = this.#pool.reserve(job, exclude);
    if (link === undefined) {
      this.#waiting.add({ execution, job, giveUpAt, exclude });
      this.#armSweep();
      return;
    }
    this.#guard.begin(job.id, execution.id);
    const active: Active = { execution, job, clientId: link.clientId, cancelTimeout: undefined };
    this.#active.set(execution.id, active);
    const now = this.#o.clock.now();
    const startAt = Math.max(execution.scheduledAt, now);
    if (job.timeoutMs > 0) {
      active.cancelTimeout = this.#o.clock.setTimer(
        startAt + job.timeoutMs,
        () => void this.#timeOut(active),
      );
    }
    // Sent now, ahead of its instant, with the instant to start at: encoding, the wire and the
    // client's decoding then happen in the lead time instead of after the instant.
    const order = orderOf(execution, job);
    this.#sends.add(link, startAt > now ? { ...order, startAt } : order);
    // Recorded behind the send, so that no write sits between the instant and the client: the
    // claim was this server's a moment ago, and a server that may have lost its standing stops
    // dispatching altogether. Should the write still fail, the send is withdrawn or cancelled.
    const dispatched = await this.#move(active, ['claimed'], 'dispatched', {
      clientId: link.clientId,
      dispatchedAt: startAt,
    });
    if (!dispatched && !this.#sends.drop(execution.id)) {
      link.cancel(
        execution.id,
        execution.attempt,
        'superseded',
        'this server no longer owns the execution',
      );
    }
  }

  #deliver(link: ClientLink, orders: readonly DispatchOrder[]): void {
    link.send(orders);
    for (const order of orders) {
      const active = this.#active.get(order.executionId);
      if (active !== undefined)
        this.#o.events.emit('execution:dispatched', {
          execution: active.execution,
          clientId: link.clientId,
        });
    }
  }

  async #timeOut(active: Active): Promise<void> {
    const reason = `timed out after ${active.job.timeoutMs} ms`;
    this.#sends.drop(active.execution.id);
    this.#pool
      .get(active.clientId)
      ?.cancel(active.execution.id, active.execution.attempt, 'timed_out', reason);
    await this.#finish(active, 'timed_out', { reason });
  }

  /** Back to `claimed` with the next attempt, then routed again (excluding `clientId` if asked). */
  async #reroute(
    active: Active,
    reason: string,
    excludeClient: boolean,
    cause?: ExecutionCause,
  ): Promise<void> {
    this.#release(active);
    const patch: ExecutionPatch = {
      attempt: active.execution.attempt + 1,
      clientId: null,
      reason,
      ...(cause === undefined ? {} : { cause }),
    };
    if (!(await this.#cas(active.execution, IN_FLIGHT, 'claimed', patch, active))) return;
    const exclude = excludeClient ? new Set([active.clientId]) : new Set<string>();
    await this.#route(
      active.execution,
      active.job,
      exclude,
      this.#o.clock.now() + this.#o.noClientTimeoutMs,
    );
  }

  async #redispatchOrFail(active: Active, reason: string, sent: boolean): Promise<void> {
    // A fire that never reached the client costs no attempt of the job's retry budget.
    if (!sent || active.execution.attempt <= active.job.maxRetries) {
      await this.#reroute(active, reason, false, sent ? ExecutionCause.Failover : undefined);
    } else {
      await this.#finish(active, 'failed', { reason });
    }
  }

  async #retryLater(active: Active, reason: string): Promise<void> {
    const delay = this.#o.retryDelayMs * 2 ** (active.execution.attempt - 1);
    this.#release(active);
    const patch: ExecutionPatch = {
      attempt: active.execution.attempt + 1,
      clientId: null,
      reason,
      cause: ExecutionCause.Retry,
    };
    if (!(await this.#cas(active.execution, IN_FLIGHT, 'claimed', patch, active))) return;
    this.#o.clock.setTimer(this.#o.clock.now() + delay, () => {
      void this.#route(
        active.execution,
        active.job,
        new Set(),
        this.#o.clock.now() + this.#o.noClientTimeoutMs,
      );
    });
  }

  async #finish(active: Active, state: ExecutionState, patch: ExecutionPatch): Promise<void> {
    this.#release(active);
    const finished = { finishedAt: this.#o.clock.now(), ...patch };
    if (await this.#cas(active.execution, IN_FLIGHT, state, finished, active)) {
      this.#o.events.emit('execution:finished', { execution: active.execution });
    }
  }

  /** Ends our hold on an active execution: slot, timers, overlap; starts a queued fire. */
  #release(active: Active): void {
    if (this.#active.get(active.execution.id) !== active) return;
    this.#active.delete(active.execution.id);
    active.cancelTimeout?.();
    active.orphaned?.();
    if (active.slotGone !== true) this.#pool.release(active.clientId, active.job.handler);
    const queued = this.#guard.end(active.job.id, active.execution.id);
    if (queued !== undefined)
      void this.#route(
        queued,
        active.job,
        new Set(),
        this.#o.clock.now() + this.#o.noClientTimeoutMs,
      );
    this.#retryWaiting(active.job.groupId, active.job.handler);
  }

  async #move(
    active: Active,
    from: readonly ExecutionState[],
    to: ExecutionState,
    patch: ExecutionPatch,
  ): Promise<boolean> {
    const ok = await this.#cas(active.execution, from, to, patch, active);
    if (!ok) this.#release(active);
    return ok;
  }

  /** The fenced write; on success updates the copy in `active`. */
  async #cas(
    execution: Execution,
    from: readonly ExecutionState[],
    to: ExecutionState,
    patch: ExecutionPatch,
    active?: Active,
  ): Promise<boolean> {
    const applied = await this.#recorder.change(execution, from, to, patch);
    if (applied && active !== undefined)
      active.execution = { ...active.execution, ...patch, state: to };
    return applied;
  }

  /** Places fires waiting for `handler` of `groupId`, oldest first, while clients have room. */
  #retryWaiting(groupId: string, handler: string): void {
    const list = this.#waiting.take(groupId, handler);
    for (const [i, w] of list.entries()) {
      if (!this.#pool.hasRoom(w.job, w.exclude)) {
        this.#waiting.restore(list.slice(i));
        return;
      }
      void this.#route(w.execution, w.job, w.exclude, w.giveUpAt);
    }
  }

  #armSweep(): void {
    // Waiting fires are placed when a client connects or a slot frees; this timer only
    // enforces the give-up deadline.
    this.#sweepTimer ??= setTimeout(() => {
      this.#sweepTimer = undefined;
      const now = this.#o.clock.now();
      for (const w of this.#waiting.expire(now)) {
        const reason = `no client of group ${w.job.groupId} with handler "${w.job.handler}" could take it within ${this.#o.noClientTimeoutMs} ms`;
        void this.#cas(w.execution, ['claimed'], 'failed', { reason, finishedAt: now });
        this.#o.events.emit('execution:unrouted', { execution: w.execution, reason });
      }
      if (this.#waiting.size > 0) this.#armSweep();
    }, 1_000);
  }
}

function orderOf(execution: Execution, job: Job): DispatchOrder {
  return {
    executionId: execution.id,
    attempt: execution.attempt,
    jobId: job.id,
    jobName: job.name,
    handler: job.handler,
    param: execution.param,
    scheduledAt: execution.scheduledAt,
    timeoutMs: job.timeoutMs,
    cause: execution.cause,
  };
}
