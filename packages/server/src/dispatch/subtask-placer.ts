import type { Subtask, SubtaskState } from '@carillon/core';
import { matchesPins } from '@carillon/core';
import type { DispatchOrder } from '@carillon/protocol';
import type { DispatchParts } from './dispatch-parts.js';
import { orderOf } from './run-book.js';
import { planShares } from './share-runs.js';
import type { Run, RunBook, Sent } from './run-book.js';
import type { SubtaskWriter } from './subtask-writer.js';

const PENDING: readonly SubtaskState[] = ['pending'];

/**
 * Spreads a parallel run's pending subtasks over the clients of its group by their free slots,
 * and records where each went before it is sent.
 */
export class SubtaskPlacer {
  readonly #b: RunBook;
  readonly #p: DispatchParts;
  readonly #sent: Map<string, Sent>;
  readonly #writer: SubtaskWriter;

  constructor(book: RunBook) {
    this.#b = book;
    this.#p = book.p;
    this.#sent = book.sent;
    this.#writer = book.writer;
  }

  /**
   * Places the run's pending subtasks on the next turn: the Results that arrive together free
   * slots together, and their replacements go out in one write per client.
   */
  place(run: Run): void {
    if (run.placing) return;
    run.placing = true;
    setImmediate(() => {
      run.placing = false;
      this.#placeNow(run);
    });
  }

  /** Set by `ParallelRuns`: broadcast shares whose client stayed away fail (see planShares). */
  onLostShares: (run: Run, subtasks: Subtask[]) => void = () => undefined;

  #placeNow(run: Run): void {
    if (run.done || run.pending.length === 0) return;
    const { pool } = this.#p;
    if (run.summary.shares !== undefined) {
      const { o } = this.#p;
      const plan = planShares(run, pool, o.clock.now(), o.fenceMs);
      if (plan.lost.length > 0) this.onLostShares(run, plan.lost);
      if (plan.recheckMs !== undefined) o.clock.after(plan.recheckMs, () => this.place(run));
      for (const [clientId, subtasks] of plan.byClient) void this.#send(run, clientId, subtasks);
      return;
    }
    const { handler, groupId } = run.job;
    const free = new Map<string, number>();
    for (const { link } of pool.listByGroup(groupId)) {
      // Pinned by label or room: subtasks wait for a matching client, as a pinned fire does.
      if (!matchesPins(run.job, link)) continue;
      const n = pool.freeFor(link.clientId, handler);
      if (n > 0) free.set(link.clientId, n);
    }
    const byClient = new Map<string, Subtask[]>();
    while (run.pending.length > 0 && free.size > 0) {
      // The client with the most room takes the next one: spread by load, never past credits.
      let best: string | undefined;
      let most = 0;
      for (const [clientId, n] of free) if (n > most) [best, most] = [clientId, n];
      if (best === undefined) break;
      const subtask = run.pending.shift() as Subtask;
      if (most <= 1) free.delete(best);
      else free.set(best, most - 1);
      pool.reserveOn(best, handler);
      const list = byClient.get(best) ?? [];
      list.push(subtask);
      byClient.set(best, list);
    }
    for (const [clientId, subtasks] of byClient) void this.#send(run, clientId, subtasks);
  }

  async #send(run: Run, clientId: string, subtasks: Subtask[]): Promise<void> {
    const { o, pool } = this.#p;
    const now = o.clock.now();
    const sents = subtasks.map((subtask) => {
      const sent: Sent = { run, subtask, clientId, slotGone: false, orphaned: undefined };
      run.sent.set(subtask.id, sent);
      this.#sent.set(subtask.id, sent);
      return sent;
    });
    // Recorded before it leaves: whoever adopts the execution knows where each subtask went.
    const written = await this.#writer.writeAll(
      sents.map((sent) => ({
        fence: this.#b.fence(run, sent.subtask, PENDING),
        state: 'dispatched' as const,
        patch: { clientId, dispatchedAt: now },
      })),
    );
    const orders: DispatchOrder[] = [];
    sents.forEach((sent, i) => {
      if (written[i] === true) {
        sent.subtask = { ...sent.subtask, state: 'dispatched', clientId };
        orders.push(orderOf(run, sent.subtask));
        return;
      }
      // Not ours any more (the execution was adopted), or ended meanwhile.
      this.#b.unsend(sent);
      if (!sent.slotGone) pool.release(clientId, run.job.handler);
    });
    if (orders.length === 0) return;
    const link = pool.get(clientId);
    if (link === undefined) return; // detached meanwhile: clientGone already counts them
    link.send(orders);
  }
}
