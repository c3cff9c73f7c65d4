import type { Execution, Job, SubtaskStore } from '@carillon/core';
import type { ClientReport, ResultReport } from '@carillon/protocol';
import type { ReportingClient } from './active-executions.js';
import type { ActiveExecutions } from './active-executions.js';
import type { DispatchParts } from './dispatch-parts.js';
import { IN_FLIGHT, RunBook, parseSummary } from './run-book.js';
import type { DispatchSummary, Run, Sent } from './run-book.js';
import { RunEnder } from './run-ender.js';
import { reduceId, subtaskId } from './subtask-ids.js';
import { SubtaskPlacer } from './subtask-placer.js';
import { SubtaskQueue } from './subtask-queue.js';
import { SubtaskResults } from './subtask-results.js';
import type { SubtaskWriter } from './subtask-writer.js';

export type { DispatchSummary } from './run-book.js';

/**
 * The second level of parallel jobs on the server that owns their executions. The items a first
 * level produced arrive in chunks and are persisted in batches; once it ended, its pending
 * subtasks are spread over the clients of the group that registered the handler, each client sent
 * at most its free slots (each subtask takes a slot as an execution would), and every subtask's
 * state, client, attempt and result is recorded with a fenced write. A lost client's subtasks go
 * back to pending (next attempt) after the fence interval; a failed one is retried while its
 * attempt is within the job's `maxRetries`. When all ended, the optional reduce runs on one
 * client, and the execution ends by the rule in `endState` (parallel-end.ts).
 */
export class ParallelRuns {
  readonly #b: RunBook;
  readonly #p: DispatchParts;
  readonly #store: SubtaskStore;
  readonly #active: ActiveExecutions;
  readonly #runs: Map<string, Run>;
  /** Subtasks (and reduce steps) sent, by their id. */
  readonly #sent: Map<string, Sent>;
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #writer: SubtaskWriter;
  readonly #placer: SubtaskPlacer;
  readonly #results: SubtaskResults;
  readonly #ender: RunEnder;

  constructor(parts: DispatchParts, store: SubtaskStore, active: ActiveExecutions) {
    const book = new RunBook(parts, store, active);
    this.#b = book;
    this.#p = parts;
    this.#store = store;
    this.#active = active;
    this.#runs = book.runs;
    this.#sent = book.sent;
    this.#writer = book.writer;
    this.#placer = new SubtaskPlacer(book);
    // The results take up subtasks the end check finds unfinished, and the end check follows
    // each result: the one reaches the other through this closure.
    this.#results = new SubtaskResults(book, this.#placer, (run) => this.#ender.maybeEnd(run));
    this.#ender = new RunEnder(book, this.#placer, this.#results);
    this.#placer.onLostShares = (run, subtasks) =>
      this.#b.settle(this.#results.lostShares(run, subtasks));
  }

  /**
   * Runs the subtasks the server stored itself for an execution it set `running` (a sharded
   * job's shards, a broadcast fire's shares; see `ShareStarter`).
   */
  startShares(execution: Execution, job: Job, summary: DispatchSummary): Promise<void> {
    return this.#start(execution, job, summary);
  }

  /** True when `id` names a subtask or reduce step this server has sent. */
  owns(id: string): boolean {
    return this.#sent.has(id);
  }

  /** True while the subtasks of execution `id` run on this server (its first level ended). */
  running(id: string): boolean {
    return this.#runs.has(id);
  }

  /** Running parallel executions, for stats. */
  get size(): number {
    return this.#runs.size;
  }

  /** Persists a chunk of items (in order per execution, so positions follow the items). */
  chunk(executionId: string, firstPosition: number, payloads: readonly string[]): Promise<void> {
    const rows = payloads.map((payload, i) => ({
      id: subtaskId(executionId, firstPosition + i),
      payload,
    }));
    return this.#chain(executionId, () =>
      this.#store.insertBatch(executionId, rows, this.#p.o.clock.now()),
    );
  }

  /**
   * The first level ended well: checks that every item was persisted, then hands the execution
   * over from its client's slot to its subtasks. Returns why it cannot go on, or null.
   */
  async dispatchEnded(
    active: Parameters<ActiveExecutions['handOver']>[0],
    report: ResultReport,
  ): Promise<string | null> {
    const id = active.execution.id;
    const summary = parseSummary(report.result);
    if (summary === null) return 'the first level returned no summary of its items';
    try {
      await this.#chain(id, () => Promise.resolve());
    } catch (error) {
      return `its items could not be stored: ${String(error)}`;
    }
    this.#chains.delete(id);
    const counts = await this.#store.countByState(id);
    let stored = 0;
    for (const n of counts.values()) stored += n;
    if (stored !== summary.subtasks)
      return `it produced ${summary.subtasks} items but ${stored} arrived`;
    const moved = await this.#active.move(active, ['dispatched', 'running'], 'running', {
      result: JSON.stringify(summary),
    });
    if (!moved) return null;
    this.#active.handOver(active);
    await this.#start(active.execution, active.job, summary);
    return null;
  }

  /**
   * Resumes an adopted execution whose first level had ended (its summary is stored): subtasks
   * pending or sent by the dead owner run on; those in flight get the fence interval to report.
   * False when the execution is not such a one.
   */
  async resume(execution: Execution, job: Job): Promise<boolean> {
    const summary = parseSummary(execution.result);
    if (summary === null || execution.state !== 'claimed') return false;
    const { recorder } = this.#p;
    const ok =
      (await recorder.change(execution, ['claimed'], 'dispatched', {})) &&
      (await recorder.change({ ...execution, state: 'dispatched' }, ['dispatched'], 'running', {}));
    if (!ok) return true;
    this.#p.guard.begin(job.id, execution.id);
    await this.#start({ ...execution, state: 'running' }, job, summary);
    return true;
  }

  /** Handles a report about a subtask or reduce step; false when it was not this client's. */
  report(client: ReportingClient, report: ClientReport): boolean {
    const sent = this.#sent.get(report.executionId);
    if (sent === undefined) return true;
    if (sent.run.job.groupId !== client.groupId) return false;
    const run = sent.run;
    if (sent.subtask.attempt !== report.attempt) return true;
    if (sent.clientId !== null && sent.clientId !== client.clientId) return false;
    switch (report.kind) {
      case 'log':
        this.#p.recorder.log({
          executionId: run.execution.id,
          at: report.at,
          level: report.level,
          message: `[#${sent.subtask.seq}] ${report.message}`,
        });
        return true;
      // Not awaited: a stream's reports are handled one after the other, and a Result waiting
      // for its write would hold up the next one, one commit each. The writes of Results that
      // arrive together go in one transaction instead.
      case 'refused':
        this.#b.unsend(sent);
        this.#b.settle(this.#results.back(sent, false, `refused: ${report.reason}`));
        return true;
      case 'result':
        this.#b.unsend(sent);
        if (run.reduce !== undefined && sent.subtask.id === reduceId(run.execution.id))
          this.#b.settle(this.#ender.reduced(run, report));
        else this.#results.ended(sent, report);
        return true;
      case 'accepted':
      case 'started':
      case 'progress':
      case 'subtaskChunk':
        // Accepted and Started change nothing stored: a subtask stays `dispatched` until it
        // ends, which halves the writes per subtask.
        return true;
    }
  }

  /**
   * Cancels a parallel execution whose subtasks run: those sent are cancelled on their clients,
   * every unfinished one is recorded `cancelled`, then the execution. False when this server
   * runs no subtasks of it.
   */
  cancel(executionId: string, reason: string): boolean {
    const run = this.#runs.get(executionId);
    if (run === undefined || run.done) return false;
    run.done = true;
    this.#runs.delete(executionId);
    const now = this.#p.o.clock.now();
    const ends: Promise<boolean>[] = [];
    for (const sent of [...run.sent.values()]) {
      this.#b.unsend(sent);
      this.#b.free(sent);
      if (sent.clientId !== null)
        this.#p.pool
          .get(sent.clientId)
          ?.cancel(sent.subtask.id, sent.subtask.attempt, 'requested', reason);
      if (sent.subtask.id === reduceId(executionId)) continue;
      ends.push(
        this.#writer.write({
          fence: this.#b.fence(run, sent.subtask, IN_FLIGHT),
          state: 'cancelled',
          patch: { reason, finishedAt: now },
        }),
      );
    }
    for (let next = run.pending.shift(); next !== undefined; next = run.pending.shift()) {
      ends.push(
        this.#writer.write({
          fence: this.#b.fence(run, next, ['pending']),
          state: 'cancelled',
          patch: { reason, finishedAt: now },
        }),
      );
    }
    this.#b.settle(
      Promise.all(ends).then(async () => {
        run.done = false;
        await this.#ender.finish(run, 'cancelled', { reason, result: null });
      }),
    );
    return true;
  }

  /** Places pending subtasks of every run on clients with free slots. */
  placeAll(): void {
    for (const run of this.#runs.values()) this.#placer.place(run);
  }

  /** A client's stream ended: its subtasks go back to pending after the fence interval. */
  clientGone(clientId: string): void {
    this.#results.clientGone(clientId);
  }

  /** A client came back naming what it runs: those keep going, the others are sent again. */
  clientBack(client: ReportingClient, running: ReadonlyArray<{ executionId: string }>): void {
    this.#results.clientBack(client, running);
  }

  /** Forgets every run (the server stops); the store keeps them for whoever adopts them. */
  stop(): void {
    for (const sent of this.#sent.values()) sent.orphaned?.();
    this.#sent.clear();
    this.#runs.clear();
  }

  async #start(execution: Execution, job: Job, summary: DispatchSummary): Promise<void> {
    const run: Run = {
      execution,
      job,
      summary,
      pending: new SubtaskQueue(),
      placing: false,
      sent: new Map(),
      reduce: undefined,
      ending: false,
      done: false,
      rechecking: false,
      waiting: 0,
      recording: 0,
    };
    this.#runs.set(execution.id, run);
    await this.#results.load(run, 'an earlier owner lost');
    this.#placer.place(run);
    await this.#ender.maybeEnd(run);
  }

  #chain(executionId: string, step: () => Promise<unknown>): Promise<void> {
    const next = (this.#chains.get(executionId) ?? Promise.resolve()).then(step);
    this.#chains.set(executionId, next);
    return next.then(() => undefined);
  }
}
