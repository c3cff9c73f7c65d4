import type { Execution, Job } from '@carillon/core';
import { UNFINISHED_STATES } from '@carillon/core';
import { CancelReason } from '@carillon/protocol';
import type { DispatchParts } from './dispatch-parts.js';
import type { ForeignOverlap } from './foreign-overlap.js';

/** How often the previous runs' state is read while a new fire waits for them. */
const LOOK_EVERY_MS = 100;

interface Waiting {
  readonly execution: Execution;
  /** A newer fire of the job came while this one waited: this one is cancelled, not routed. */
  superseded: boolean;
}

/**
 * `cancel_previous` when the previous run is another server's (the job changed owner: its
 * preferred holder died, froze, or lost its place). Only the owner records its executions'
 * changes and holds the client's stream it was sent on, so this server asks rather than acts:
 *
 * 1. it marks each previous run for cancellation in the store (`cancelRequestedAt`, as the
 *    console does) and sends the group's change notice, on which the owner's request poller
 *    cancels it at once (its 2 s poll is the safety net); an owner that died leaves the request
 *    to whoever adopts the run, which cancels instead of running it again;
 * 2. it also tells the run's client directly when that client is connected here too (clients
 *    connect to every server of their group): a dead owner cannot, and the client reports
 *    the cancelled run to whichever server it reaches, which records it under the owner's fence;
 * 3. the new fire, still `claimed` (so adopted like any other if this server dies), is routed
 *    once every previous run has ended in the store, or after `cancelWaitMs` at most (a run
 *    whose owner and client both died ends only when its owner's work is adopted): then it
 *    runs anyway, as the policy's point is that the newest fire runs, and a warning says so.
 *
 * A newer fire of the job arriving while one waits replaces it (that one is recorded
 * cancelled): at most one fire per job waits.
 */
export class ForeignCancel {
  readonly #p: DispatchParts;
  readonly #foreign: ForeignOverlap;
  readonly #waiting = new Map<number, Waiting>();

  constructor(parts: DispatchParts, foreign: ForeignOverlap) {
    this.#p = parts;
    this.#foreign = foreign;
  }

  /**
   * Asks for `previous` (other owners' executions of `job`) to be cancelled and resolves once
   * they have ended or the wait ran out: true when `execution` is to be routed now, false when
   * a newer fire replaced it meanwhile.
   */
  async cancelAndWait(
    job: Job,
    previous: readonly string[],
    execution: Execution,
  ): Promise<boolean> {
    const { o } = this.#p;
    const older = this.#waiting.get(job.id);
    if (older !== undefined) older.superseded = true;
    const me: Waiting = { execution, superseded: false };
    this.#waiting.set(job.id, me);
    try {
      await this.#ask(job, previous, execution);
      const ended = await this.#waitForEnd(previous, me);
      for (const id of ended) this.#foreign.release(job.id, id);
      if (!me.superseded && ended.length < previous.length) {
        o.logger.warn(
          {
            executionId: execution.id,
            jobId: job.id,
            previous: previous.filter((id) => !ended.includes(id)),
            waitedMs: o.cancelWaitMs,
          },
          'cancel_previous: a run on another server did not end in time; the new fire runs anyway',
        );
      }
    } catch (error) {
      // The store failing: the fire runs, as the policy's point is that the newest one does.
      o.logger.warn(
        { err: error, executionId: execution.id },
        'cancel_previous across owners failed',
      );
    } finally {
      if (this.#waiting.get(job.id) === me) this.#waiting.delete(job.id);
    }
    if (!me.superseded) return true;
    await this.#p.recorder.change(execution, ['claimed'], 'cancelled', {
      reason: 'replaced by a newer fire (overlap policy cancel_previous)',
      finishedAt: o.clock.now(),
    });
    return false;
  }

  async #ask(job: Job, previous: readonly string[], by: Execution): Promise<void> {
    const { o, pool } = this.#p;
    const message = `replaced by execution ${by.id} on server ${o.serverId} (overlap policy cancel_previous)`;
    const now = o.clock.now();
    for (const id of previous) {
      const stored = await o.executions.requestCancel(id, now);
      if (stored === undefined || !UNFINISHED_STATES.includes(stored.state)) continue;
      const link = stored.clientId === null ? undefined : pool.get(stored.clientId);
      // Only the attempt the store names, and only on a stream of the run's own task group: a
      // client ignores a cancel for an attempt it does not hold.
      if (link !== undefined && link.groupId === stored.groupId)
        link.cancel(id, stored.attempt, CancelReason.Overlap, message);
    }
    o.logger.info(
      { executionId: by.id, jobId: job.id, previous },
      'cancel_previous: asked the owners of previous runs to cancel them',
    );
    await o
      .notifyGroupChanged(job.groupId)
      .catch((error: unknown) =>
        o.logger.debug({ err: error }, 'notifying the group change failed; owners poll anyway'),
      );
  }

  /** The ids among `previous` that ended, once all did, the wait ran out, or `me` was replaced. */
  async #waitForEnd(previous: readonly string[], me: Waiting): Promise<string[]> {
    const { o } = this.#p;
    let ended: string[] = [];
    for (let waited = 0; ; waited += LOOK_EVERY_MS) {
      const rows = await Promise.all(previous.map((id) => o.executions.get(id)));
      ended = previous.filter((_, i) => {
        const row = rows[i];
        return row === undefined || !UNFINISHED_STATES.includes(row.state);
      });
      if (ended.length === previous.length || me.superseded || waited >= o.cancelWaitMs)
        return ended;
      // A length of time, not an instant: elapsed time, whatever the wall clock does.
      await new Promise<void>((resolve) => o.clock.after(LOOK_EVERY_MS, resolve));
    }
  }
}
