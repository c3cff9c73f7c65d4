import type { Clock, Execution, ExecutionStore, Logger } from '@carillon/core';
import { ExecutionState } from '@carillon/core';
import type { Dispatcher } from '../dispatch/dispatcher.js';
import { runsAsSubtasks } from '../dispatch/share-runs.js';
import type { Membership } from '../membership.js';
import type { HeldJobs } from '../scheduling/held-jobs.js';

/** What an {@link OrphanAdoption} works with. */
export interface OrphanAdoptionOptions {
  readonly serverId: string;
  readonly executions: ExecutionStore;
  readonly held: HeldJobs;
  readonly membership: Membership;
  readonly dispatcher: Dispatcher;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * How long the executions a departed server had sent to clients are left to those clients'
   * Results before they are dispatched again: the fence interval (a client re-sends a Result
   * whose stream broke to another server, which records it under the departed owner's fence,
   * within its keepalive; a client cut off from every server aborts its handlers by then).
   */
  readonly inFlightGraceMs: number;
}

/** At most this many ids in one adoption statement (the store's limit). */
const IDS_PER_ADOPTION = 1_000;

/**
 * Takes over the unfinished executions of a departed server for the jobs this server now
 * prefers (compare-and-set on owner, next attempt) and dispatches them.
 *
 * Fires it claimed and never sent are taken at once. Executions it had sent to a client are
 * not: leaving the membership means its ZooKeeper session ended, not that its client stopped;
 * the client may be running them, or have run them with its Result stuck on the stream to the
 * departed server (frozen, or cut off from the database). Dispatched again at once, each ran
 * twice (`test/cluster/owner-expired.test.ts`: three fires of a server frozen past its session
 * ran at attempts 1 and 2). Those whose client is connected here are taken at once at the same
 * attempt, the client asked about them again. The others are taken after `inFlightGraceMs`,
 * those still unfinished then, and only if the server has not come back meanwhile (back, it
 * finishes its own work). An execution that runs as subtasks (parallel, sharded, broadcast:
 * `runsAsSubtasks`) is taken at once: its subtasks go on under the adopter, not again, and
 * those the departed server had sent get the fence interval to report there (a client's Result
 * for one reaches the adopter only once it has taken the execution: another server drops it).
 */
export class OrphanAdoption {
  readonly #o: OrphanAdoptionOptions;
  /** Departed servers whose sent executions wait out the grace: cancels the wait. */
  readonly #waiting = new Map<string, () => void>();
  /**
   * Orphans an adoption call was to move when it failed, by id, at the attempt they were listed
   * at: the takeover may have committed with its reply lost, and the departed server then lists
   * them no more. Looked for at the next adoption.
   */
  readonly #unconfirmed = new Map<string, number>();

  constructor(options: OrphanAdoptionOptions) {
    this.#o = options;
  }

  async adopt(deadServerId: string): Promise<void> {
    const o = this.#o;
    await this.#takeUnconfirmed();
    // Not only jobs the dead server still holds: the leader may have replaced it as a holder
    // already, and its executions of those jobs would be orphaned for good.
    const mine = [...o.held.values()].filter((j) => o.membership.isPreferred(j));
    if (mine.length === 0) return;
    // Per job: whether its fires run as subtasks, as the dispatcher resumes them.
    const bySubtasks = new Map(mine.map((j) => [j.id, runsAsSubtasks(j)]));
    const unfinished = (await o.executions.listUnfinishedByOwner(deadServerId)).filter((e) =>
      bySubtasks.has(e.jobId),
    );
    const shared = unfinished.filter((e) => bySubtasks.get(e.jobId) === true);
    const claimed = unfinished.filter(
      (e) => bySubtasks.get(e.jobId) === false && e.state === ExecutionState.Claimed,
    );
    const sent = unfinished.filter(
      (e) => bySubtasks.get(e.jobId) === false && e.state !== ExecutionState.Claimed,
    );
    const adopted: Execution[] = [];
    try {
      if (shared.length > 0)
        adopted.push(
          ...(await this.#adoptOrRemember(shared, () =>
            o.executions.adoptOrphans(deadServerId, o.serverId, jobIdsOf(shared)),
          )),
        );
      for (let i = 0; i < claimed.length; i += IDS_PER_ADOPTION) {
        const some = claimed.slice(i, i + IDS_PER_ADOPTION);
        adopted.push(
          ...(await this.#adoptOrRemember(some, () =>
            o.executions.adoptOrphans(
              deadServerId,
              o.serverId,
              jobIdsOf(some),
              some.map((e) => e.id),
            ),
          )),
        );
      }
    } finally {
      // What the calls before a failed one moved is this server's now: routed all the same.
      this.#took(deadServerId, adopted);
    }
    // Sent to a client that is connected here: that client lives, and runs them still or holds
    // their Result. Taken at once at the same attempt and asked of it again; a new attempt
    // would run them twice (test/cluster/long-run-owner-killed.test.ts). The rest wait out
    // the grace.
    const onOurClients = sent.filter(
      (e) => e.clientId !== null && o.dispatcher.holdsClient(e.clientId),
    );
    const resumed = new Set<string>();
    try {
      for (let i = 0; i < onOurClients.length; i += IDS_PER_ADOPTION) {
        const some = onOurClients.slice(i, i + IDS_PER_ADOPTION).map((e) => e.id);
        const moved = await o.executions.adoptInFlight(deadServerId, o.serverId, some);
        if (moved.length > 0)
          o.logger.warn(
            { deadServerId, adopted: moved.length },
            'adopted executions of a departed server that its clients still run',
          );
        o.dispatcher.resumeInPlace(moved);
        for (const e of moved) resumed.add(e.id);
      }
    } catch (error) {
      // Left to the grace, as if their client were elsewhere: adopted then at the next attempt.
      o.logger.error({ err: error, deadServerId }, 'adopting executions in flight failed');
    }
    const later = sent.filter((e) => !resumed.has(e.id));
    if (later.length > 0) this.#adoptSentLater(deadServerId, later);
  }

  /** Cancels the waits (the server stops). */
  stop(): void {
    for (const cancel of this.#waiting.values()) cancel();
    this.#waiting.clear();
  }

  #adoptSentLater(deadServerId: string, sent: readonly Execution[]): void {
    const o = this.#o;
    if (this.#waiting.has(deadServerId)) return;
    o.logger.info(
      { deadServerId, executions: sent.length, graceMs: o.inFlightGraceMs },
      'executions a departed server sent to clients are left to their Results for the grace',
    );
    const cancel = o.clock.after(o.inFlightGraceMs, () => {
      this.#waiting.delete(deadServerId);
      if (o.membership.isLive(deadServerId)) return;
      // Every unfinished one of these jobs: what it claimed later than the first look too.
      void this.#adoptOrRemember(sent, () =>
        o.executions.adoptOrphans(deadServerId, o.serverId, jobIdsOf(sent)),
      )
        .then((adopted) => this.#took(deadServerId, adopted))
        .catch((error: unknown) =>
          o.logger.error(
            { err: error, deadServerId },
            'adopting executions of a departed server failed',
          ),
        );
    });
    this.#waiting.set(deadServerId, cancel);
  }

  async #adoptOrRemember(
    listed: readonly Execution[],
    adoption: () => Promise<readonly Execution[]>,
  ): Promise<readonly Execution[]> {
    try {
      return await adoption();
    } catch (error) {
      for (const e of listed) this.#unconfirmed.set(e.id, e.attempt);
      throw error;
    }
  }

  /**
   * Routes the orphans of failed adoption calls that the calls did move: owned by this server,
   * still `claimed`, one attempt on from the one listed. The others were not moved (and are
   * adopted again from their departed owner) or are someone else's now. The dispatcher routes
   * an execution at an attempt once, should one have been routed already.
   */
  async #takeUnconfirmed(): Promise<void> {
    const o = this.#o;
    if (this.#unconfirmed.size === 0) return;
    const owned = await o.executions.listUnfinishedByOwner(o.serverId);
    const moved = owned.filter(
      (e) => e.state === ExecutionState.Claimed && this.#unconfirmed.get(e.id) === e.attempt - 1,
    );
    this.#unconfirmed.clear();
    if (moved.length === 0) return;
    o.logger.warn(
      { executions: moved.length },
      'executions an adoption moved though its call failed (reply lost) are routed now',
    );
    o.dispatcher.take(moved);
  }

  #took(deadServerId: string, adopted: readonly Execution[]): void {
    if (adopted.length === 0) return;
    this.#o.logger.warn(
      { deadServerId, adopted: adopted.length },
      'adopted executions of a departed server',
    );
    this.#o.dispatcher.take(adopted);
  }
}

function jobIdsOf(executions: readonly Execution[]): number[] {
  return [...new Set(executions.map((e) => e.jobId))];
}
