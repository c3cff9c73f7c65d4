import type { ExecutionStore, Logger } from '@carillon/core';
import type { DatabaseHealth } from '../database/database-health.js';
import { logTaskFailure } from '../database/database-health.js';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import type { HeldJobs } from '../scheduling/held-jobs.js';

/** Settings of a {@link RequestPoller}. */
export interface RequestPollerOptions {
  readonly serverId: string;
  readonly executions: ExecutionStore;
  readonly held: HeldJobs;
  readonly dispatcher: Dispatcher;
  readonly health: DatabaseHealth;
  readonly logger: Logger;
}

/**
 * Picks up what the console asked for in the database: manual fires of held jobs (unowned
 * claimed executions) and cancel requests for this server's executions.
 */
export class RequestPoller {
  readonly #o: RequestPollerOptions;
  #looking: Promise<void> = Promise.resolve();
  #queued: Promise<void> | undefined;

  constructor(options: RequestPollerOptions) {
    this.#o = options;
  }

  /**
   * Looks once; failures are logged, and the next look tries again. Calls while a look runs
   * fold into one more look after it: while the database hangs (a locked table), polls do not
   * pile up and hold every connection of the pool.
   */
  pickUp(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    const next = this.#looking.then(() => {
      this.#queued = undefined;
      return this.#look();
    });
    this.#queued = next;
    this.#looking = next;
    return next;
  }

  async #look(): Promise<void> {
    const o = this.#o;
    try {
      const jobIds = (await o.executions.listJobsWithUnowned()).filter(
        (id) => o.held.get(id) !== undefined,
      );
      if (jobIds.length > 0) {
        const taken = await o.executions.takeUnowned(o.serverId, jobIds);
        if (taken.length > 0) o.dispatcher.take(taken);
      }
      const cancels = await o.executions.listCancelRequested(o.serverId);
      if (cancels.length > 0)
        o.dispatcher.cancel(
          cancels,
          'requested',
          'cancel requested (by a user, or by a newer fire of a cancel_previous job on another server)',
        );
    } catch (error) {
      logTaskFailure(
        o.health,
        o.logger,
        error,
        'picking up manual fires and cancel requests failed',
      );
    }
  }
}
