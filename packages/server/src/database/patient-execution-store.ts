import type {
  Execution,
  ExecutionChange,
  ExecutionLog,
  ExecutionPage,
  ExecutionPatch,
  ExecutionQuery,
  ExecutionState,
  ExecutionStore,
  Fence,
  FireClaim,
  LogLine,
} from '@carillon/core';
import type { DatabaseHealth, TimedOperation } from './database-health.js';
import { Patience } from './patience.js';

/**
 * The execution store as the server uses it: every statement reports to the
 * {@link DatabaseHealth}, and the writes that record what became of executions (fenced
 * transitions, log lines) are tried again, with backoff, for as long as the database fails
 * transiently (and so are reads of one execution, which a late result waits on). So a `false` from a transition always means the fence no longer held, never that
 * the database was unreachable; and since the server's writers send one batch at a time, the
 * changes waiting behind a retried batch keep their order. Other errors pass through at once.
 * After {@link stopRetrying} (the server stopping) a failing write fails instead of waiting.
 */
export class PatientExecutionStore implements ExecutionStore {
  readonly #store: ExecutionStore;
  readonly #health: DatabaseHealth;
  readonly #patience: Patience;

  constructor(store: ExecutionStore, health: DatabaseHealth) {
    this.#store = store;
    this.#health = health;
    this.#patience = new Patience(health);
  }

  /** Makes writes waiting for the database fail now, and later ones fail at their first error. */
  stopRetrying(): void {
    this.#patience.stopRetrying();
  }

  transition(fence: Fence, state: ExecutionState, patch?: ExecutionPatch): Promise<boolean> {
    return this.#patiently(() => this.#store.transition(fence, state, patch), 'transition');
  }

  transitionMany(changes: readonly ExecutionChange[]): Promise<boolean[]> {
    return this.#patiently(() => this.#store.transitionMany(changes), 'transition');
  }

  appendLogs(lines: readonly LogLine[]): Promise<void> {
    return this.#patiently(() => this.#store.appendLogs(lines));
  }

  claimFires(
    serverId: string,
    claims: readonly FireClaim[],
    nowMs: number,
  ): Promise<ReadonlySet<string>> {
    return this.#health.watch(() => this.#store.claimFires(serverId, claims, nowMs), 'claim');
  }

  insertManual(claim: FireClaim, nowMs: number): Promise<Execution> {
    return this.#health.watch(() => this.#store.insertManual(claim, nowMs));
  }

  takeUnowned(serverId: string, jobIds: readonly number[]): Promise<readonly Execution[]> {
    return this.#health.watch(() => this.#store.takeUnowned(serverId, jobIds));
  }

  listJobsWithUnowned(): Promise<readonly number[]> {
    return this.#health.watch(() => this.#store.listJobsWithUnowned());
  }

  adoptOrphans(
    deadServerId: string,
    newServerId: string,
    jobIds?: readonly number[],
    claimedIds?: readonly string[],
  ): Promise<readonly Execution[]> {
    return this.#health.watch(() =>
      this.#store.adoptOrphans(deadServerId, newServerId, jobIds, claimedIds),
    );
  }

  adoptInFlight(
    deadServerId: string,
    newServerId: string,
    ids: readonly string[],
  ): Promise<readonly Execution[]> {
    return this.#health.watch(() => this.#store.adoptInFlight(deadServerId, newServerId, ids));
  }

  /** Retried like the writes: a client's late result waits on it, and must not be lost. */
  get(id: string): Promise<Execution | undefined> {
    return this.#patiently(() => this.#store.get(id));
  }

  requestCancel(id: string, nowMs: number): Promise<Execution | undefined> {
    return this.#health.watch(() => this.#store.requestCancel(id, nowMs));
  }

  listCancelRequested(serverId: string): Promise<readonly Execution[]> {
    return this.#health.watch(() => this.#store.listCancelRequested(serverId));
  }

  listByJobAndStates(
    jobId: number,
    states: readonly ExecutionState[],
  ): Promise<readonly Execution[]> {
    return this.#health.watch(() => this.#store.listByJobAndStates(jobId, states));
  }

  listClaimedOfJobs(jobIds: readonly number[], fromMs: number): Promise<readonly Execution[]> {
    return this.#health.watch(() => this.#store.listClaimedOfJobs(jobIds, fromMs));
  }

  listUnfinishedByOwner(serverId: string): Promise<readonly Execution[]> {
    return this.#health.watch(() => this.#store.listUnfinishedByOwner(serverId));
  }

  findFires(
    fires: ReadonlyArray<{ readonly jobId: number; readonly scheduledAt: number }>,
  ): Promise<readonly Execution[]> {
    return this.#health.watch(() => this.#store.findFires(fires));
  }

  countFiresInHand(
    serverId: string,
    fires: ReadonlyArray<{ readonly jobId: number; readonly scheduledAt: number }>,
  ): Promise<number> {
    return this.#health.watch(() => this.#store.countFiresInHand(serverId, fires));
  }

  lastScheduledAt(jobIds: readonly number[]): Promise<ReadonlyMap<number, number>> {
    return this.#health.watch(() => this.#store.lastScheduledAt(jobIds));
  }

  page(query: ExecutionQuery): Promise<ExecutionPage> {
    return this.#health.watch(() => this.#store.page(query));
  }

  listLogs(
    executionId: string,
    afterSeq?: number,
    limit?: number,
  ): Promise<readonly ExecutionLog[]> {
    return this.#health.watch(() => this.#store.listLogs(executionId, afterSeq, limit));
  }

  #patiently<T>(work: () => Promise<T>, operation?: TimedOperation): Promise<T> {
    return this.#patience.run(work, operation);
  }
}
