import { retryDelay, shouldRetry, subtaskRetryPolicy } from '@carillon/core';
import type { Subtask, SubtaskStore } from '@carillon/core';
import type { DispatchOrder, ResultReport } from '@carillon/protocol';
import type { ReportingClient } from './active-executions.js';
import type { DispatchParts } from './dispatch-parts.js';
import { describeError } from './execution-recorder.js';
import { IN_FLIGHT, PAGE, orderOf } from './run-book.js';
import type { Run, RunBook, Sent } from './run-book.js';
import { pinOf } from './share-runs.js';
import { reduceId } from './subtask-ids.js';
import type { SubtaskPlacer } from './subtask-placer.js';

/**
 * What happens to a sent subtask: its Result is recorded or retried, a lost client's subtasks go
 * back to pending after the fence interval (or keep going when it comes back naming them), and
 * the subtasks the store has unfinished are taken up (after an adoption or a failed write).
 */
export class SubtaskResults {
  readonly #b: RunBook;
  readonly #p: DispatchParts;
  readonly #store: SubtaskStore;
  readonly #sent: Map<string, Sent>;
  readonly #placer: SubtaskPlacer;
  /** The run's end check (in `RunEnder`, which takes up subtasks through this). */
  readonly #maybeEnd: (run: Run) => Promise<void>;

  constructor(book: RunBook, placer: SubtaskPlacer, maybeEnd: (run: Run) => Promise<void>) {
    this.#b = book;
    this.#p = book.p;
    this.#store = book.store;
    this.#sent = book.sent;
    this.#placer = placer;
    this.#maybeEnd = maybeEnd;
  }

  /** A client's stream ended: its subtasks go back to pending after the fence interval. */
  clientGone(clientId: string): void {
    const { clock, fenceMs } = this.#p.o;
    for (const sent of this.#sent.values()) {
      if (sent.clientId !== clientId || sent.orphaned !== undefined) continue;
      sent.slotGone = true;
      sent.orphaned = clock.after(fenceMs, () => {
        sent.orphaned = undefined;
        if (this.#sent.get(sent.subtask.id) !== sent) return;
        this.#b.unsend(sent);
        // A broadcast share runs on its own client or not at all: it fails, it is not moved.
        if (sent.run.summary.shares === 'broadcast')
          void this.#lost(sent, `client ${clientId} lost`);
        else void this.back(sent, true, `client ${clientId} lost`);
      });
    }
  }

  /** A client came back naming what it runs: those keep going, the others are sent again. */
  clientBack(client: ReportingClient, running: ReadonlyArray<{ executionId: string }>): void {
    const named = new Set(running.map((r) => r.executionId));
    const link = this.#p.pool.get(client.clientId);
    if (link === undefined) return;
    const again: DispatchOrder[] = [];
    for (const sent of this.#sent.values()) {
      if (sent.clientId !== client.clientId || sent.run.job.groupId !== client.groupId) continue;
      if (sent.orphaned === undefined && !sent.slotGone) continue;
      sent.orphaned?.();
      sent.orphaned = undefined;
      sent.slotGone = false;
      this.#p.pool.reserveOn(client.clientId, sent.run.job.handler);
      if (!named.has(sent.subtask.id) && sent.subtask.id !== reduceId(sent.run.execution.id))
        again.push(orderOf(sent.run, sent.subtask));
    }
    if (again.length > 0) link.send(again);
  }

  /**
   * Takes up the run's subtasks the store has pending or in flight that this server does not
   * track (all of them after an adoption; after a failed write, the few it lost track of).
   */
  async load(run: Run, why: string): Promise<void> {
    const queued = run.pending.ids();
    for (let after = 0; ;) {
      const page = await this.#store.listByExecution(run.execution.id, {
        states: ['pending', ...IN_FLIGHT],
        afterSeq: after,
        limit: PAGE,
      });
      for (const subtask of page) {
        if (run.sent.has(subtask.id) || queued.has(subtask.id)) continue;
        if (subtask.state === 'pending') run.pending.push(subtask);
        else this.#adoptSent(run, subtask, why);
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1]?.seq ?? after;
    }
  }

  /** A subtask an earlier owner sent: its client may still report it within the fence interval. */
  #adoptSent(run: Run, subtask: Subtask, why: string): void {
    const sent: Sent = {
      run,
      subtask,
      clientId: subtask.clientId,
      slotGone: true,
      orphaned: undefined,
    };
    run.sent.set(subtask.id, sent);
    this.#sent.set(subtask.id, sent);
    sent.orphaned = this.#p.o.clock.after(this.#p.o.fenceMs, () => {
      sent.orphaned = undefined;
      if (this.#sent.get(subtask.id) !== sent) return;
      this.#b.unsend(sent);
      void this.back(sent, true, why);
    });
  }

  /**
   * A subtask's Result: recorded, retried, or its slot freed; then the run may end. Recording
   * takes no promise: a fan-out records thousands a second, and the end check needs to run only
   * once the last write under way landed (before that, it finds `run.recording` above zero).
   */
  ended(sent: Sent, report: ResultReport): void {
    const { run, subtask } = sent;
    this.#b.free(sent);
    const reason = describeError(report);
    if (report.outcome === 'cancelled') {
      this.#b.settle(this.back(sent, true, reason ?? report.outcome, true));
      return;
    }
    if (report.outcome === 'failed' || report.outcome === 'timed_out') {
      const policy = subtaskRetryPolicy(run.job);
      if (shouldRetry(policy, subtask.attempt, report.error?.retryable !== false)) {
        const delayMs = retryDelay(policy, subtask.attempt);
        this.#b.settle(this.back(sent, true, reason ?? report.outcome, true, delayMs));
        return;
      }
    }
    run.recording++;
    this.#b.writer.enqueue(
      {
        fence: this.#b.fence(run, subtask, IN_FLIGHT),
        state: report.outcome,
        patch: { result: report.result, reason, finishedAt: report.at },
      },
      () => {
        if (--run.recording === 0) this.#b.settle(this.#maybeEnd(run));
      },
    );
    // The slot is free now (the client freed it when it sent the Result): the next subtask is
    // placed without waiting for this write, so that its `dispatched` goes in the same batch
    // rather than the one after. Only the end check needs the Result recorded.
    this.#placer.place(run);
  }

  /** A sent broadcast share whose client is lost: recorded failed. */
  async #lost(sent: Sent, why: string): Promise<void> {
    this.#b.free(sent);
    await this.#b.record(sent.run, {
      fence: this.#b.fence(sent.run, sent.subtask, IN_FLIGHT),
      state: 'failed',
      patch: { reason: why, finishedAt: this.#p.o.clock.now() },
    });
    await this.#maybeEnd(sent.run);
  }

  /** Pending broadcast shares whose client stayed away past the fence interval: failed. */
  async lostShares(run: Run, subtasks: readonly Subtask[]): Promise<void> {
    const now = this.#p.o.clock.now();
    await Promise.all(
      subtasks.map((subtask) =>
        this.#b.record(run, {
          fence: this.#b.fence(run, subtask, ['pending']),
          state: 'failed',
          patch: { reason: `client ${pinOf(subtask) ?? '?'} lost`, finishedAt: now },
        }),
      ),
    );
    await this.#maybeEnd(run);
  }

  /** Puts a sent subtask back in the queue, at the next attempt when `bump`. */
  async back(sent: Sent, bump: boolean, why: string, freed = false, delayMs = 0): Promise<void> {
    const { run, subtask } = sent;
    if (!freed) this.#b.free(sent);
    if (subtask.id === reduceId(run.execution.id)) {
      run.reduce = undefined;
      await this.#maybeEnd(run);
      return;
    }
    const attempt = bump ? subtask.attempt + 1 : subtask.attempt;
    // Counted until it is back in the queue (or waiting), not only until written: in between,
    // the store shows it pending while this server tracks it nowhere.
    run.recording++;
    const ok = await this.#b.writer.write({
      fence: this.#b.fence(run, subtask, IN_FLIGHT),
      state: 'pending',
      patch: { clientId: null, reason: why, ...(bump ? { attempt } : {}) },
    });
    run.recording--;
    // Refused: the subtask changed elsewhere. Its Result may have been recorded by another
    // server (its client's stream to this one broke; see recordForeignSubtaskResult), and then
    // it was the last this run waited for: the end check must follow, or the run never ends.
    if (!ok) {
      await this.#maybeEnd(run);
      return;
    }
    const requeue = (): void => {
      run.pending.push({ ...subtask, state: 'pending', attempt, clientId: null });
      this.#placer.place(run);
    };
    if (delayMs <= 0) return requeue();
    // Waiting out its backoff: counted, so that the run does not end meanwhile.
    run.waiting++;
    this.#p.o.clock.after(delayMs, () => {
      run.waiting--;
      if (!run.done) requeue();
    });
  }
}
