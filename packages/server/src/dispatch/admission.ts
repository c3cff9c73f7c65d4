import type { Execution, ExecutionPatch, Job } from '@carillon/core';
import {
  CLIENT_LOST_MAX_ATTEMPTS,
  ClientLostPolicy,
  ExecutionCause,
  JobStatus,
  RoutingStrategy,
  executionRetryPolicy,
  retryDelay,
} from '@carillon/core';
import type { DispatchOrder } from '@carillon/protocol';
import type { Active, ActiveExecutions } from './active-executions.js';
import type { ClientLink } from './client-link.js';
import type { DispatchParts } from './dispatch-parts.js';
import { IN_FLIGHT } from './execution-recorder.js';
import { ForeignCancel } from './foreign-cancel.js';
import { ForeignOverlap } from './foreign-overlap.js';
import { shareKindOf } from './share-runs.js';
import type { ShareKind } from './share-runs.js';
import { WaitingRoom } from './waiting-room.js';
import type { Waiting } from './waiting-room.js';

const NO_ONE: ReadonlySet<string> = new Set();

/**
 * Admission and routing: applies the overlap policy to a claimed fire, picks a client with a
 * free slot and sends the fire, or puts it in the waiting room, which hands fires out by the
 * backlog rule as slots free and records those that waited past their job's dispatch timeout.
 * A client is only ever sent what it has free slots for.
 */
export class Admission {
  readonly #p: DispatchParts;
  readonly #active: ActiveExecutions;
  readonly waiting: WaitingRoom;
  readonly foreign: ForeignOverlap;
  readonly #foreignCancel: ForeignCancel;

  constructor(parts: DispatchParts, active: ActiveExecutions) {
    this.#p = parts;
    this.#active = active;
    this.foreign = new ForeignOverlap(parts);
    this.#foreignCancel = new ForeignCancel(parts, this.foreign);
    this.waiting = new WaitingRoom(parts.o.clock, (expired) => this.#expired(expired));
  }

  /** Routes a claimed execution, after the job's overlap policy. */
  async admit(execution: Execution): Promise<void> {
    const { o, guard } = this.#p;
    const job = o.jobOf(execution.jobId);
    if (job === undefined) {
      if (await this.#giveUp(execution)) return;
      await this.#active.cas(execution, ['claimed'], 'failed', {
        reason: `job ${execution.jobId} is not held by server ${o.serverId} (deleted or moved)`,
        finishedAt: o.clock.now(),
      });
      return;
    }
    if (execution.cancelRequestedAt !== null) {
      // Adopted from a server that died (or asked of it) after its cancellation was requested,
      // by a user or by a newer fire under cancel_previous: it is not run again.
      await this.#active.cas(execution, ['claimed'], 'cancelled', {
        reason: 'cancellation requested before it was routed here',
        finishedAt: o.clock.now(),
      });
      return;
    }
    await this.foreign.seed(job, execution);
    const decision = guard.decide(job, execution);
    switch (decision.action) {
      case 'skip':
        if (
          await this.#active.cas(execution, ['claimed'], 'skipped', {
            reason: decision.reason,
            finishedAt: o.clock.now(),
          })
        ) {
          o.events.emit('execution:skipped', {
            executionId: execution.id,
            jobId: job.id,
            reason: decision.reason,
          });
        }
        return;
      case 'queue':
        return;
      case 'cancel_previous': {
        this.onCancelPrevious(
          decision.previous.flatMap((id) => this.#active.get(id)?.execution ?? []),
          execution,
        );
        // Runs other servers own are theirs to cancel: asked through the store, waited for.
        const foreign = decision.previous.filter((id) => this.foreign.holds(id));
        if (
          foreign.length > 0 &&
          !(await this.#foreignCancel.cancelAndWait(job, foreign, execution))
        )
          return;
        break;
      }
      case 'run':
        break;
    }
    // The dispatch timeout counts from the instant: a fire claimed ahead waits no longer for it.
    await this.route(execution, job, NO_ONE, execution.scheduledAt + job.dispatchTimeoutMs);
  }

  /**
   * A claimed fire of a job that other servers hold now (this one was away past the holder
   * grace, and the leader moved the job): given up to them, unowned, as a manual fire is; one
   * of them takes it (this server too, if it holds the job and has not loaded it yet). Failing it instead lost the fire (seen in the soak after a 21 s restart).
   * False when the job is gone, disabled or held by no one: the fire is failed then.
   */
  async #giveUp(execution: Execution): Promise<boolean> {
    const { o } = this.#p;
    const job = await o.jobs.get(execution.jobId).catch(() => undefined);
    if (job === undefined || job.status !== JobStatus.Enabled || job.holders.length === 0)
      return false;
    await this.#active.cas(execution, ['claimed'], 'claimed', {
      ownerServerId: null,
      reason: `given up by server ${o.serverId}: its job is held by ${job.holders.join(', ')} now`,
    });
    // The holders look for unowned fires at this notice, else at their next poll.
    o.notifyGroupChanged(execution.groupId).catch(() => undefined);
    return true;
  }

  /** Set by the dispatcher: starts the shares of a sharded or broadcast fire. */
  onShares: (execution: Execution, job: Job, kind: ShareKind) => Promise<void> = () =>
    Promise.resolve();

  /** Set by the dispatcher: cancels the executions an overlap policy replaces. */
  onCancelPrevious: (previous: readonly Execution[], by: Execution) => void = () => undefined;

  /** Sends the fire to a client with a free slot, or has it wait for one until `giveUpAt`. */
  async route(
    execution: Execution,
    job: Job,
    exclude: ReadonlySet<string>,
    giveUpAt: number,
  ): Promise<void> {
    const { o, pool } = this.#p;
    // A sharded or broadcast fire goes to no one client: the server makes its subtasks.
    const shares = shareKindOf(job);
    if (shares !== undefined) return this.onShares(execution, job, shares);
    // With fires already waiting for this handler, this one joins them and the backlog rule
    // decides which goes first.
    if (this.waiting.holds(job.groupId, job.handler)) {
      this.waiting.add({ execution, job, giveUpAt, exclude });
      this.placeWaiting(job.groupId, job.handler);
      return;
    }
    // Past its deadline (a fire refused until then), it is recorded by the waiting room's expiry.
    const link = giveUpAt > o.clock.now() ? pool.reserve(job, exclude) : undefined;
    if (link === undefined) {
      this.waiting.add({ execution, job, giveUpAt, exclude });
      return;
    }
    await this.#send(link, execution, job, o.clock.now(), exclude, giveUpAt);
  }

  /** Back to `claimed` with the next attempt, then routed again (excluding `clientId` if asked). */
  async reroute(
    active: Active,
    reason: string,
    excludeClient: boolean,
    cause?: ExecutionCause,
  ): Promise<void> {
    const { o } = this.#p;
    this.#active.release(active);
    const patch: ExecutionPatch = {
      attempt: active.execution.attempt + 1,
      clientId: null,
      reason,
      ...(cause === undefined ? {} : { cause }),
    };
    if (!(await this.#active.cas(active.execution, IN_FLIGHT, 'claimed', patch, active))) return;
    // Rare, and each costs an attempt: an operator asking why a fire ran at attempt 3 finds it.
    o.logger.info(
      { executionId: active.execution.id, attempt: patch.attempt, reason },
      'execution routed again',
    );
    // Busy-over tries each client at most once per fire: every client that refused it stays
    // out. Other strategies leave out only the one that refused last.
    const exclude = !excludeClient
      ? NO_ONE
      : active.job.routing === RoutingStrategy.BusyOver
        ? new Set([...(active.refusedBy ?? NO_ONE), active.clientId])
        : new Set([active.clientId]);
    // A refused fire keeps its deadline: clients that keep refusing it must not keep it waiting
    // for ever. One whose client was lost mid-run gets a new wait, counted from now.
    const giveUpAt =
      excludeClient && active.giveUpAt !== undefined
        ? active.giveUpAt
        : o.clock.now() + active.job.dispatchTimeoutMs;
    await this.route(active.execution, active.job, exclude, giveUpAt);
  }

  /**
   * Its client is gone: dispatched again (same execution id, next attempt), or failed, as the
   * job's `onClientLost` policy says (`retry` is bounded by CLIENT_LOST_MAX_ATTEMPTS).
   */
  async redispatchOrFail(active: Active, reason: string, sent: boolean): Promise<void> {
    // A fire that never reached the client costs no attempt.
    if (
      !sent ||
      (active.job.onClientLost === ClientLostPolicy.Retry &&
        active.execution.attempt < CLIENT_LOST_MAX_ATTEMPTS)
    ) {
      await this.reroute(active, reason, false, sent ? ExecutionCause.Failover : undefined);
    } else {
      await this.#active.finish(active, 'failed', { reason });
    }
  }

  /** A retryable failure: the next attempt after the delay of the job's retry policy. */
  async retryLater(active: Active, reason: string): Promise<void> {
    const { o } = this.#p;
    const delay = retryDelay(executionRetryPolicy(active.job), active.execution.attempt);
    this.#active.release(active);
    const patch: ExecutionPatch = {
      attempt: active.execution.attempt + 1,
      clientId: null,
      reason,
      cause: ExecutionCause.Retry,
    };
    if (!(await this.#active.cas(active.execution, IN_FLIGHT, 'claimed', patch, active))) return;
    // A length of time, not an instant: a clock stepped back must not stretch the delay.
    o.clock.after(delay, () => {
      const at = o.clock.now();
      void this.route(active.execution, active.job, NO_ONE, at + active.job.dispatchTimeoutMs);
    });
  }

  /**
   * Places the waiting fires of every handler of `groupId`, `handler`'s last: room made by an
   * answer about a fire of `handler`. A client's dispatch window is shared by its handlers, so
   * that room may be what another handler's fire waits for. Placing only `handler`'s left a
   * fire of another handler (a "trigger once" of an API job) waiting while the window stayed
   * full of a busy handler's fires: over 30 s with 1,000 per-second jobs on one client (at
   * its dispatch timeout, 60 s by default, it would have been given up unsent).
   */
  placeWaitingAfter(groupId: string, handler: string): void {
    // Every answer comes here: nothing to walk, or to allocate, while no fire waits.
    if (this.waiting.size === 0) return;
    for (const other of this.waiting.handlersOf(groupId))
      if (other !== handler) this.placeWaiting(groupId, other);
    this.placeWaiting(groupId, handler);
  }

  /** Places fires waiting for `handler` of `groupId` by the backlog rule, while clients have room. */
  placeWaiting(groupId: string, handler: string): void {
    const { pool, o } = this.#p;
    for (;;) {
      // Without this, a full client would cost a walk over the whole backlog per claim.
      if (!pool.hasRoomFor(groupId, handler)) return;
      let link: ClientLink | undefined;
      const next = this.waiting.next(groupId, handler, (w) => {
        link = pool.reserve(w.job, w.exclude);
        return link !== undefined;
      });
      if (next === undefined || link === undefined) return;
      void this.#send(link, next.execution, next.job, o.clock.now(), next.exclude, next.giveUpAt);
    }
  }

  async #send(
    link: ClientLink,
    execution: Execution,
    job: Job,
    now: number,
    exclude: ReadonlySet<string>,
    giveUpAt: number,
  ): Promise<void> {
    const { o, sends } = this.#p;
    const active = this.#active.begin(execution, job, link.clientId);
    if (exclude.size > 0) active.refusedBy = exclude;
    active.giveUpAt = giveUpAt;
    const startAt = Math.max(execution.scheduledAt, now);
    const patch = { clientId: link.clientId, dispatchedAt: startAt };
    if (job.holders.some((id) => id !== o.serverId)) {
      // Recorded before the send, fenced by owner and attempt: a claimed fire that a peer
      // holding the job adopted while this server was frozen, cut off from the database or
      // judged gone (the claim is then at a newer attempt) must not reach a client from here,
      // or its handler would run twice; cancelling after a lost fence is too late for a fire
      // already due. A fire claimed at lead time still leaves ahead of its instant; fires
      // routed after it (a backlog, a retry) wait for one batched write.
      active.recording = true;
      const dispatched = await this.#active.move(active, ['claimed'], 'dispatched', patch);
      active.recording = false;
      // Cancelled, or its client's stream gone, during the write: the dispatcher's own paths
      // (cancel, detach) have dealt with it.
      if (!dispatched || this.#active.get(execution.id) !== active) return;
      if (this.#p.pool.get(link.clientId) !== link) {
        void this.redispatchOrFail(active, `client ${link.clientId} left before the send`, false);
        return;
      }
      this.#order(link, active, startAt);
      return;
    }
    // No other holder can adopt the fire: sent first, so that no write sits between a due fire
    // and the client; should the write still fail, the send is withdrawn or cancelled.
    this.#order(link, active, startAt);
    const dispatched = await this.#active.move(active, ['claimed'], 'dispatched', patch);
    if (!dispatched && !sends.drop(execution.id)) {
      link.cancel(
        execution.id,
        execution.attempt,
        'superseded',
        'this server no longer owns the execution',
      );
    }
  }

  /** Arms the job's timeout and queues the order (ahead of its instant, when claimed ahead). */
  #order(link: ClientLink, active: Active, startAt: number): void {
    const { o, sends } = this.#p;
    const now = o.clock.now();
    const { job } = active;
    if (job.timeoutMs > 0) {
      active.cancelTimeout = o.clock.after(startAt - now + job.timeoutMs, () =>
        this.onTimeout(active),
      );
    }
    // With the instant to start at: encoding, the wire and the client's decoding then happen
    // in the lead time instead of after the instant.
    sends.add(link, orderOf(active.execution, job, startAt > now ? startAt : undefined));
    if (startAt <= now) {
      // Only fires already due count against the window: a fire sent ahead waits in the
      // client for its instant and delays no other.
      active.unanswered = true;
      this.#p.pool.sent(link.clientId);
    }
  }

  /** Set by the dispatcher: an execution ran past its job's timeout. */
  onTimeout: (active: Active) => void = () => undefined;

  #expired(expired: readonly Waiting[]): void {
    const { o } = this.#p;
    const now = o.clock.now();
    for (const w of expired) {
      const reason = `dispatch timeout: no client of group ${w.job.groupId} with handler "${w.job.handler}" had a free slot within ${w.job.dispatchTimeoutMs} ms of its instant`;
      void this.#active
        .cas(w.execution, ['claimed'], 'skipped', { reason, finishedAt: now })
        .then((ok) => {
          // Its own outcome in metrics, traces and alerts ("no client"), not a policy's skip.
          if (ok) o.events.emit('execution:unrouted', { execution: w.execution, reason });
        });
    }
  }
}

/**
 * The dispatch message of an execution; with `startAt` when it is sent ahead of its instant.
 * Built whole rather than copied as `{ ...order, startAt }`: on Node 20, V8 takes a slow path
 * for a spread followed by a property the spread object lacks (about 3 µs against 0.03).
 */
export function orderOf(execution: Execution, job: Job, startAt?: number): DispatchOrder {
  const order: { -readonly [K in keyof DispatchOrder]: DispatchOrder[K] } = {
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
  if (startAt !== undefined) order.startAt = startAt;
  return order;
}
