import type { Execution, ExecutionPatch, ExecutionState, Job } from '@carillon/core';
import type { DispatchParts } from './dispatch-parts.js';
import { IN_FLIGHT } from './execution-recorder.js';

/** Who sent a report or a hello: the client id and task group its stream authenticated. */
export interface ReportingClient {
  readonly clientId: string;
  readonly groupId: string;
}

/** An execution this server has routed to a client, or is about to. */
export interface Active {
  execution: Execution;
  readonly job: Job;
  readonly clientId: string;
  cancelTimeout: (() => void) | undefined;
  /** Set while the client's stream is gone: cancels the fence-interval wait. */
  orphaned?: (() => void) | undefined;
  /** The slot went with the client's old link (it counts again if the client names it). */
  slotGone?: boolean;
  /** Sent and not yet answered by the client: counts against its dispatch window. */
  unanswered?: boolean;
  /** Its dispatch is being recorded (fenced) and it is not sent yet: nothing may send it. */
  recording?: boolean;
  /** Clients that refused this fire before (busy-over tries each at most once per fire). */
  refusedBy?: ReadonlySet<string>;
  /** When the fire it was routed as stops waiting for a client; a refusal does not extend it. */
  giveUpAt?: number;
}

/**
 * A slot whose execution this server ended (timed out or cancelled) while its handler may still
 * run: it stays taken, and the job's overlap policy still sees the execution running, until the
 * client says the handler returned (its Result), or the client is gone past the fence interval.
 */
interface HeldSlot {
  readonly job: Job;
  readonly clientId: string;
  readonly attempt: number;
  slotGone: boolean;
  forget: (() => void) | undefined;
}

/**
 * The life of the executions this server routed: the fenced writes of their changes, their
 * timers, and their end, which gives back the client's slot and the job's overlap hold (at once,
 * or once the handler returned when it may still run).
 */
export class ActiveExecutions {
  readonly #p: DispatchParts;
  readonly #active = new Map<string, Active>();
  readonly #held = new Map<string, HeldSlot>();
  /** Called once a slot and the job's overlap hold are free: a queued fire of `job` may go. */
  readonly #freed: (job: Job, queued: Execution | undefined) => void;

  constructor(parts: DispatchParts, freed: (job: Job, queued: Execution | undefined) => void) {
    this.#p = parts;
    this.#freed = freed;
  }

  get size(): number {
    return this.#active.size;
  }

  get(executionId: string): Active | undefined {
    return this.#active.get(executionId);
  }

  values(): IterableIterator<Active> {
    return this.#active.values();
  }

  /** Starts holding an execution routed to `clientId` (its slot already reserved). */
  begin(execution: Execution, job: Job, clientId: string): Active {
    this.#p.guard.begin(job.id, execution.id);
    const active: Active = { execution, job, clientId, cancelTimeout: undefined };
    this.#active.set(execution.id, active);
    return active;
  }

  /**
   * The client's handler of an execution this server already ended has returned: its slot and
   * the overlap hold are free. False when no slot was held for it.
   */
  handlerReturned(client: ReportingClient, executionId: string, attempt: number): boolean {
    const held = this.#held.get(executionId);
    if (held === undefined || !isHeldBy(held, client) || held.attempt !== attempt) return false;
    this.#dropHeld(executionId, held);
    return true;
  }

  /** The client's stream ended: its held slots go with it, and are let go after `fenceMs`. */
  clientGone(clientId: string): void {
    const { clock, fenceMs } = this.#p.o;
    for (const [id, held] of this.#held) {
      if (held.clientId !== clientId || held.forget !== undefined) continue;
      held.slotGone = true;
      held.forget = clock.after(fenceMs, () => {
        held.forget = undefined;
        if (this.#held.get(id) === held) this.#dropHeld(id, held);
      });
    }
  }

  /** A reconnecting client names an execution it still runs: a held slot counts again. */
  reattachHeld(client: ReportingClient, executionId: string, attempt: number): boolean {
    const held = this.#held.get(executionId);
    if (held === undefined || !isHeldBy(held, client) || held.attempt !== attempt) return false;
    const { clientId } = client;
    if (held.slotGone) {
      this.#p.pool.reserveOn(clientId, held.job.handler);
      this.#p.pool.markHeld(clientId, held.job.handler, 1);
    }
    held.slotGone = false;
    held.forget?.();
    held.forget = undefined;
    return true;
  }

  /** Ends every timer. */
  stop(): void {
    for (const active of this.#active.values()) {
      active.cancelTimeout?.();
      active.orphaned?.();
    }
    for (const held of this.#held.values()) held.forget?.();
  }

  /**
   * Records the end of an execution. With `handlerMayRun` (the client holds it and its handler
   * may not have returned), the slot and the overlap hold stay until it has.
   */
  async finish(
    active: Active,
    state: ExecutionState,
    patch: ExecutionPatch,
    handlerMayRun = false,
  ): Promise<void> {
    this.release(active, handlerMayRun);
    const finished = { finishedAt: this.#p.o.clock.now(), ...patch };
    if (await this.cas(active.execution, IN_FLIGHT, state, finished, active)) {
      this.#p.o.events.emit('execution:finished', { execution: active.execution });
    }
  }

  /** Marks a sent dispatch as answered by the client; true the first time. */
  answered(active: Active): boolean {
    if (active.unanswered !== true) return false;
    active.unanswered = false;
    if (active.slotGone !== true) this.#p.pool.answered(active.clientId);
    return true;
  }

  /** Ends this server's hold on an active execution: timers, then slot and overlap (or holds them). */
  release(active: Active, handlerMayRun = false): void {
    if (this.#active.get(active.execution.id) !== active) return;
    this.#active.delete(active.execution.id);
    this.answered(active);
    active.cancelTimeout?.();
    active.orphaned?.();
    if (handlerMayRun) {
      this.#held.set(active.execution.id, {
        job: active.job,
        clientId: active.clientId,
        attempt: active.execution.attempt,
        slotGone: active.slotGone === true,
        forget: undefined,
      });
      if (active.slotGone === true) this.clientGone(active.clientId);
      else this.#p.pool.markHeld(active.clientId, active.job.handler, 1);
      return;
    }
    if (active.slotGone !== true) this.#p.pool.release(active.clientId, active.job.handler);
    this.#freed(active.job, this.#p.guard.end(active.job.id, active.execution.id));
  }

  /**
   * A parallel job's first level ended: its client's slot and timers are let go, but the job's
   * overlap hold stays until {@link endHandedOver}, since the execution runs on in its subtasks.
   */
  handOver(active: Active): void {
    if (this.#active.get(active.execution.id) !== active) return;
    this.#active.delete(active.execution.id);
    this.answered(active);
    active.cancelTimeout?.();
    active.orphaned?.();
    if (active.slotGone !== true) this.#p.pool.release(active.clientId, active.job.handler);
  }

  /** A handed-over execution ended: the job's overlap hold is let go. */
  endHandedOver(job: Job, executionId: string): void {
    this.#freed(job, this.#p.guard.end(job.id, executionId));
  }

  /** A fenced write that releases the execution when the fence no longer holds. */
  async move(
    active: Active,
    from: readonly ExecutionState[],
    to: ExecutionState,
    patch: ExecutionPatch,
  ): Promise<boolean> {
    const ok = await this.cas(active.execution, from, to, patch, active);
    if (!ok) this.release(active);
    return ok;
  }

  /** The fenced write; on success updates the copy in `active`. */
  async cas(
    execution: Execution,
    from: readonly ExecutionState[],
    to: ExecutionState,
    patch: ExecutionPatch,
    active?: Active,
  ): Promise<boolean> {
    const applied = await this.#p.recorder.change(execution, from, to, patch);
    if (applied && active !== undefined)
      active.execution = { ...active.execution, ...patch, state: to };
    return applied;
  }

  #dropHeld(executionId: string, held: HeldSlot): void {
    this.#held.delete(executionId);
    held.forget?.();
    if (!held.slotGone) {
      this.#p.pool.markHeld(held.clientId, held.job.handler, -1);
      this.#p.pool.release(held.clientId, held.job.handler);
    }
    this.#freed(held.job, this.#p.guard.end(held.job.id, executionId));
  }
}

/** True when the execution was routed to this very client of its task group. */
export function isDispatchedTo(active: Active, client: ReportingClient): boolean {
  return active.clientId === client.clientId && active.job.groupId === client.groupId;
}

function isHeldBy(held: HeldSlot, client: ReportingClient): boolean {
  return held.clientId === client.clientId && held.job.groupId === client.groupId;
}
