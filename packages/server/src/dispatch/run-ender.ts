import type { Subtask, SubtaskStore } from '@carillon/core';
import type { DispatchOrder, ResultReport } from '@carillon/protocol';
import type { DispatchParts } from './dispatch-parts.js';
import { describeError } from './execution-recorder.js';
import { endState, reduceInput } from './parallel-end.js';
import { PAGE, orderOf } from './run-book.js';
import type { Run, RunBook, Sent } from './run-book.js';
import { reduceId } from './subtask-ids.js';
import type { SubtaskPlacer } from './subtask-placer.js';
import type { SubtaskResults } from './subtask-results.js';

/**
 * The end of a parallel run: once nothing is pending or in flight, the optional reduce step on
 * one client, then the execution's end state by the rule in {@link endState}.
 */
export class RunEnder {
  readonly #b: RunBook;
  readonly #p: DispatchParts;
  readonly #store: SubtaskStore;
  readonly #sent: Map<string, Sent>;
  readonly #runs: Map<string, Run>;
  readonly #placer: SubtaskPlacer;
  readonly #results: SubtaskResults;

  constructor(book: RunBook, placer: SubtaskPlacer, results: SubtaskResults) {
    this.#b = book;
    this.#p = book.p;
    this.#store = book.store;
    this.#sent = book.sent;
    this.#runs = book.runs;
    this.#placer = placer;
    this.#results = results;
  }

  /** When nothing is pending or in flight: the reduce step, or the execution's end. */
  async maybeEnd(run: Run): Promise<void> {
    if (
      run.done ||
      run.ending ||
      run.pending.length > 0 ||
      run.sent.size > 0 ||
      run.waiting > 0 ||
      run.recording > 0
    )
      return;
    if (run.reduce !== undefined) return;
    run.ending = true;
    try {
      const counts = await this.#store.countByState(run.execution.id);
      const outcome = endState(counts);
      if (outcome === null) {
        this.#recheck(run);
        return;
      }
      if (run.summary.reduce && (counts.get('succeeded') ?? 0) > 0) {
        await this.#sendReduce(run);
        return;
      }
      await this.finish(run, outcome.state, { reason: outcome.reason, result: null });
    } finally {
      run.ending = false;
    }
  }

  async #sendReduce(run: Run): Promise<void> {
    const { pool } = this.#p;
    let best: string | undefined;
    let most = 0;
    for (const { link } of pool.listByGroup(run.job.groupId)) {
      const n = pool.freeFor(link.clientId, run.job.handler);
      if (n > most) [best, most] = [link.clientId, n];
    }
    if (best === undefined) {
      // No room now: tried again when a slot frees.
      this.#p.o.clock.after(500, () => void this.maybeEnd(run));
      return;
    }
    const all: Subtask[] = [];
    for (let after = 0; ;) {
      const page = await this.#store.listByExecution(run.execution.id, { afterSeq: after });
      all.push(...page);
      if (page.length < PAGE) break;
      after = page[page.length - 1]?.seq ?? after;
    }
    const attempt = (run.reduce?.attempt ?? 0) + 1;
    const step: Subtask = {
      id: reduceId(run.execution.id),
      executionId: run.execution.id,
      seq: 0,
      payload: '',
      state: 'dispatched',
      attempt,
      clientId: best,
      createdAt: 0,
      dispatchedAt: null,
      startedAt: null,
      finishedAt: null,
      result: null,
      reason: null,
    };
    run.reduce = { attempt, clientId: best };
    const sent: Sent = { run, subtask: step, clientId: best, slotGone: false, orphaned: undefined };
    run.sent.set(step.id, sent);
    this.#sent.set(step.id, sent);
    pool.reserveOn(best, run.job.handler);
    const order: DispatchOrder = {
      ...orderOf(run, step),
      reduce: { parentExecutionId: run.execution.id, results: reduceInput(all) },
    };
    delete (order as { subtask?: unknown }).subtask;
    pool.get(best)?.send([order]);
  }

  async reduced(run: Run, report: ResultReport): Promise<void> {
    const sent = run.sent.get(reduceId(run.execution.id));
    if (sent !== undefined) this.#b.free(sent);
    if (report.outcome === 'cancelled') {
      run.reduce = { attempt: report.attempt, clientId: null };
      await this.#sendReduce(run);
      return;
    }
    const counts = await this.#store.countByState(run.execution.id);
    const outcome = endState(counts) ?? { state: 'failed', reason: 'subtasks unaccounted for' };
    if (report.outcome !== 'succeeded') {
      const why = describeError(report) ?? report.outcome;
      await this.finish(run, 'failed', { reason: `reduce failed: ${why}`, result: null });
      return;
    }
    await this.finish(run, outcome.state, { reason: outcome.reason, result: report.result });
  }

  async finish(
    run: Run,
    state: 'succeeded' | 'failed' | 'partially_failed' | 'cancelled',
    patch: { reason: string | null; result: string | null },
  ): Promise<void> {
    if (run.done) return;
    run.done = true;
    this.#runs.delete(run.execution.id);
    const { recorder, o } = this.#p;
    const finished = { ...patch, finishedAt: o.clock.now() };
    if (await recorder.change(run.execution, ['running'], state, finished)) {
      run.execution = { ...run.execution, ...finished, state };
      o.events.emit('execution:finished', { execution: run.execution });
    }
    this.#b.active.endHandedOver(run.job, run.execution.id);
  }

  /**
   * Nothing tracked, yet the store says some subtask has not ended (a write failed): after the
   * fence interval, those are taken up again, unless the execution has another owner now.
   */
  #recheck(run: Run): void {
    if (run.rechecking) return;
    run.rechecking = true;
    this.#p.o.clock.after(this.#p.o.fenceMs, () => {
      run.rechecking = false;
      void (async () => {
        if (run.done) return;
        const now = await this.#p.o.executions.get(run.execution.id);
        if (now?.ownerServerId !== this.#p.o.serverId || now.state !== 'running') {
          run.done = true;
          this.#runs.delete(run.execution.id);
          for (const sent of run.sent.values()) this.#b.unsend(sent);
          return;
        }
        await this.#results.load(run, 'lost track of');
        this.#placer.place(run);
        await this.maybeEnd(run);
      })().catch((error: unknown) =>
        this.#p.o.logger.warn({ err: error }, 'parallel execution recheck failed'),
      );
    });
  }
}
