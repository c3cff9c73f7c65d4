import { retryDelay, shouldRetry, subtaskRetryPolicy } from '@carillon/core';
import type { Execution, Job, Subtask, SubtaskState, SubtaskStore } from '@carillon/core';
import type { ClientReport, DispatchOrder, ResultReport } from '@carillon/protocol';
import type { ReportingClient } from './active-executions.js';
import type { ActiveExecutions } from './active-executions.js';
import type { DispatchParts } from './dispatch-parts.js';
import { describeError } from './execution-recorder.js';
import { endState, reduceInput } from './parallel-end.js';
import { reduceId, subtaskId } from './subtask-ids.js';
import { SubtaskQueue } from './subtask-queue.js';
import { SubtaskWriter } from './subtask-writer.js';

/** What a parallel job's first level says in its Result (JSON). */
export interface DispatchSummary {
  readonly subtasks: number;
  readonly reduce: boolean;
}

/** A subtask (or the reduce step) sent to a client and not ended yet. */
interface Sent {
  readonly run: Run;
  subtask: Subtask;
  clientId: string | null;
  /** The slot went with the client's stream (it counts again if the client names it). */
  slotGone: boolean;
  /** Set while the client's stream is gone: cancels the fence-interval wait. */
  orphaned: (() => void) | undefined;
}

/** A parallel execution whose first level ended: its subtasks run on the group's clients. */
interface Run {
  execution: Execution;
  readonly job: Job;
  readonly summary: DispatchSummary;
  readonly pending: SubtaskQueue;
  /** A placement is due on the next turn of the event loop (placements are coalesced). */
  placing: boolean;
  readonly sent: Map<string, Sent>;
  /** The reduce step once it is sent. */
  reduce: { attempt: number; clientId: string | null; orphaned?: () => void } | undefined;
  ending: boolean;
  done: boolean;
  rechecking: boolean;
  /** Subtasks waiting out their retry backoff before they go back in the queue. */
  waiting: number;
}

const PAGE = 1000;
const IN_FLIGHT: readonly SubtaskState[] = ['dispatched', 'running'];

/**
 * The second level of parallel jobs on the server that owns their executions. The items a first
 * level produced arrive in chunks and are persisted in batches; once it ended, its pending
 * subtasks are spread over the clients of the group that registered the handler, each client sent
 * at most its free slots (each subtask takes a slot as an execution would), and every subtask's
 * state, client, attempt and result is recorded with a fenced write. A lost client's subtasks go
 * back to pending (next attempt) after the fence interval; a failed one is retried while its
 * attempt is within the job's `maxRetries`. When all ended, the optional reduce runs on one
 * client, and the execution ends by the rule in {@link endState}.
 */
export class ParallelRuns {
  readonly #p: DispatchParts;
  readonly #store: SubtaskStore;
  readonly #active: ActiveExecutions;
  readonly #runs = new Map<string, Run>();
  /** Subtasks (and reduce steps) sent, by their id. */
  readonly #sent = new Map<string, Sent>();
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #writer: SubtaskWriter;

  constructor(parts: DispatchParts, store: SubtaskStore, active: ActiveExecutions) {
    this.#p = parts;
    this.#store = store;
    this.#active = active;
    this.#writer = new SubtaskWriter(store, (error) =>
      parts.o.logger.warn({ err: error }, 'subtask changes failed; their subtasks are retried'),
    );
  }

  /** True when `id` names a subtask or reduce step this server has sent. */
  owns(id: string): boolean {
    return this.#sent.has(id);
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
        this.#unsend(sent);
        this.#settle(this.#back(sent, false, `refused: ${report.reason}`));
        return true;
      case 'result':
        this.#unsend(sent);
        if (run.reduce !== undefined && sent.subtask.id === reduceId(run.execution.id))
          this.#settle(this.#reduced(run, report));
        else this.#settle(this.#ended(sent, report));
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
      this.#unsend(sent);
      this.#free(sent);
      if (sent.clientId !== null)
        this.#p.pool
          .get(sent.clientId)
          ?.cancel(sent.subtask.id, sent.subtask.attempt, 'requested', reason);
      if (sent.subtask.id === reduceId(executionId)) continue;
      ends.push(
        this.#writer.write({
          fence: this.#fence(run, sent.subtask, IN_FLIGHT),
          state: 'cancelled',
          patch: { reason, finishedAt: now },
        }),
      );
    }
    for (let next = run.pending.shift(); next !== undefined; next = run.pending.shift()) {
      ends.push(
        this.#writer.write({
          fence: this.#fence(run, next, ['pending']),
          state: 'cancelled',
          patch: { reason, finishedAt: now },
        }),
      );
    }
    this.#settle(
      Promise.all(ends).then(async () => {
        run.done = false;
        await this.#finish(run, 'cancelled', { reason, result: null });
      }),
    );
    return true;
  }

  #settle(work: Promise<void>): void {
    work.catch((error: unknown) =>
      this.#p.o.logger.warn({ err: error }, 'a subtask report could not be recorded'),
    );
  }

  /** Places pending subtasks of every run on clients with free slots. */
  placeAll(): void {
    for (const run of this.#runs.values()) this.#place(run);
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
        this.#unsend(sent);
        void this.#back(sent, true, `client ${clientId} lost`);
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
    };
    this.#runs.set(execution.id, run);
    await this.#load(run, 'an earlier owner lost');
    this.#place(run);
    await this.#maybeEnd(run);
  }

  /**
   * Takes up the run's subtasks the store has pending or in flight that this server does not
   * track (all of them after an adoption; after a failed write, the few it lost track of).
   */
  async #load(run: Run, why: string): Promise<void> {
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
          for (const sent of run.sent.values()) this.#unsend(sent);
          return;
        }
        await this.#load(run, 'lost track of');
        this.#place(run);
        await this.#maybeEnd(run);
      })().catch((error: unknown) =>
        this.#p.o.logger.warn({ err: error }, 'parallel execution recheck failed'),
      );
    });
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
      this.#unsend(sent);
      void this.#back(sent, true, why);
    });
  }

  /**
   * Places the run's pending subtasks on the next turn: the Results that arrive together free
   * slots together, and their replacements go out in one write per client.
   */
  #place(run: Run): void {
    if (run.placing) return;
    run.placing = true;
    setImmediate(() => {
      run.placing = false;
      this.#placeNow(run);
    });
  }

  #placeNow(run: Run): void {
    if (run.done || run.pending.length === 0) return;
    const { pool } = this.#p;
    const { handler, groupId } = run.job;
    const free = new Map<string, number>();
    for (const { link } of pool.listByGroup(groupId)) {
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
    const written = await Promise.all(
      sents.map((sent) =>
        this.#writer.write({
          fence: this.#fence(run, sent.subtask, ['pending']),
          state: 'dispatched',
          patch: { clientId, dispatchedAt: now },
        }),
      ),
    );
    const orders: DispatchOrder[] = [];
    sents.forEach((sent, i) => {
      if (written[i] === true) {
        sent.subtask = { ...sent.subtask, state: 'dispatched', clientId };
        orders.push(orderOf(run, sent.subtask));
        return;
      }
      // Not ours any more (the execution was adopted), or ended meanwhile.
      this.#unsend(sent);
      if (!sent.slotGone) pool.release(clientId, run.job.handler);
    });
    if (orders.length === 0) return;
    const link = pool.get(clientId);
    if (link === undefined) return; // detached meanwhile: clientGone already counts them
    link.send(orders);
  }

  /** A subtask's Result: recorded, retried, or its slot freed; then the run may end. */
  async #ended(sent: Sent, report: ResultReport): Promise<void> {
    const { run, subtask } = sent;
    this.#free(sent);
    const reason = describeError(report);
    const failed = report.outcome === 'failed' || report.outcome === 'timed_out';
    if (report.outcome === 'cancelled') {
      await this.#back(sent, true, reason ?? report.outcome, true);
      return;
    }
    const policy = subtaskRetryPolicy(run.job);
    if (failed && shouldRetry(policy, subtask.attempt, report.error?.retryable !== false)) {
      const delayMs = retryDelay(policy, subtask.attempt);
      await this.#back(sent, true, reason ?? report.outcome, true, delayMs);
      return;
    }
    await this.#writer.write({
      fence: this.#fence(run, subtask, IN_FLIGHT),
      state: report.outcome,
      patch: { result: report.result, reason, finishedAt: report.at },
    });
    this.#place(run);
    await this.#maybeEnd(run);
  }

  /** Puts a sent subtask back in the queue, at the next attempt when `bump`. */
  async #back(sent: Sent, bump: boolean, why: string, freed = false, delayMs = 0): Promise<void> {
    const { run, subtask } = sent;
    if (!freed) this.#free(sent);
    if (subtask.id === reduceId(run.execution.id)) {
      run.reduce = undefined;
      await this.#maybeEnd(run);
      return;
    }
    const attempt = bump ? subtask.attempt + 1 : subtask.attempt;
    const ok = await this.#writer.write({
      fence: this.#fence(run, subtask, IN_FLIGHT),
      state: 'pending',
      patch: { clientId: null, reason: why, ...(bump ? { attempt } : {}) },
    });
    if (!ok) return;
    const requeue = (): void => {
      run.pending.push({ ...subtask, state: 'pending', attempt, clientId: null });
      this.#place(run);
    };
    if (delayMs <= 0) return requeue();
    // Waiting out its backoff: counted, so that the run does not end meanwhile.
    run.waiting++;
    this.#p.o.clock.after(delayMs, () => {
      run.waiting--;
      if (!run.done) requeue();
    });
  }

  /** When nothing is pending or in flight: the reduce step, or the execution's end. */
  async #maybeEnd(run: Run): Promise<void> {
    if (run.done || run.ending || run.pending.length > 0 || run.sent.size > 0 || run.waiting > 0)
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
      await this.#finish(run, outcome.state, { reason: outcome.reason, result: null });
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
      this.#p.o.clock.after(500, () => void this.#maybeEnd(run));
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

  async #reduced(run: Run, report: ResultReport): Promise<void> {
    const sent = run.sent.get(reduceId(run.execution.id));
    if (sent !== undefined) this.#free(sent);
    if (report.outcome === 'cancelled') {
      run.reduce = { attempt: report.attempt, clientId: null };
      await this.#sendReduce(run);
      return;
    }
    const counts = await this.#store.countByState(run.execution.id);
    const outcome = endState(counts) ?? { state: 'failed', reason: 'subtasks unaccounted for' };
    if (report.outcome !== 'succeeded') {
      const why = describeError(report) ?? report.outcome;
      await this.#finish(run, 'failed', { reason: `reduce failed: ${why}`, result: null });
      return;
    }
    await this.#finish(run, outcome.state, { reason: outcome.reason, result: report.result });
  }

  async #finish(
    run: Run,
    state: 'succeeded' | 'failed' | 'partially_failed' | 'cancelled',
    patch: { reason: string | null; result: string | null },
  ): Promise<void> {
    if (run.done) return;
    run.done = true;
    this.#runs.delete(run.execution.id);
    const { recorder, o } = this.#p;
    await recorder.flushLogsOf(run.execution.id);
    const finished = { ...patch, finishedAt: o.clock.now() };
    if (await recorder.change(run.execution, ['running'], state, finished)) {
      run.execution = { ...run.execution, ...finished, state };
      o.events.emit('execution:finished', { execution: run.execution });
    }
    this.#active.endHandedOver(run.job, run.execution.id);
  }

  /** Frees the client slot a sent subtask held. */
  #free(sent: Sent): void {
    sent.orphaned?.();
    sent.orphaned = undefined;
    if (!sent.slotGone && sent.clientId !== null)
      this.#p.pool.release(sent.clientId, sent.run.job.handler);
    sent.slotGone = true;
  }

  #unsend(sent: Sent): void {
    if (this.#sent.get(sent.subtask.id) === sent) this.#sent.delete(sent.subtask.id);
    sent.run.sent.delete(sent.subtask.id);
  }

  #fence(run: Run, subtask: Subtask, from: readonly SubtaskState[]) {
    return { id: subtask.id, from, ownerServerId: this.#p.o.serverId, attempt: subtask.attempt };
  }

  #chain(executionId: string, step: () => Promise<unknown>): Promise<void> {
    const next = (this.#chains.get(executionId) ?? Promise.resolve()).then(step);
    this.#chains.set(executionId, next);
    return next.then(() => undefined);
  }
}

function orderOf(run: Run, subtask: Subtask): DispatchOrder {
  const { execution, job } = run;
  return {
    executionId: subtask.id,
    attempt: subtask.attempt,
    jobId: job.id,
    jobName: job.name,
    handler: job.handler,
    param: execution.param,
    scheduledAt: execution.scheduledAt,
    timeoutMs: job.timeoutMs,
    cause: execution.cause,
    subtask: {
      parentExecutionId: execution.id,
      position: Math.max(1, subtask.seq),
      payload: subtask.payload,
    },
  };
}

function parseSummary(text: string | null): DispatchSummary | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<DispatchSummary> | null;
    if (typeof value?.subtasks !== 'number' || !Number.isSafeInteger(value.subtasks)) return null;
    return { subtasks: value.subtasks, reduce: value.reduce === true };
  } catch {
    return null;
  }
}
