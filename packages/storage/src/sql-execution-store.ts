import { CarillonError, CoreErrorCode, ExecutionState, UNFINISHED_STATES } from '@carillon/core';
import type {
  ExecutionChange,
  Execution,
  ExecutionLog,
  ExecutionPage,
  ExecutionPatch,
  ExecutionQuery,
  ExecutionStore,
  Fence,
  FireClaim,
  LogLine,
} from '@carillon/core';
import type { Updateable } from 'kysely';
import type { DatabaseProfile } from './database-profile.js';
import { checkFence, claimRow, patchColumns } from './execution-checks.js';
import { appendLogs, listLogs } from './execution-logs.js';
import {
  claimedOfJobs,
  countFiresInHand,
  findFireRows,
  lastScheduledOf,
  pageExecutions,
} from './execution-queries.js';
import {
  alreadyApplied as alreadyAppliedTo,
  transitionExecutions,
} from './execution-transitions.js';
import { adoptInFlightRows, adoptOrphanRows, takeUnownedRows } from './execution-ownership.js';
import type { AdoptionSeen } from './execution-ownership.js';
import { toExecution } from './execution-rows.js';
import { withRetry } from './retry.js';
import { affected, chunk, chunkBySize, skipDuplicates, toInt } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';
import type { ExecutionsTable } from './schema.js';
import {
  STORE_LIMITS,
  checkInt,
  checkText,
  checkUuid,
  invalid,
  translateWriteError,
} from './validate.js';

const CLAIMS_PER_STATEMENT = 500;
const BYTES_PER_STATEMENT = 4 * 1024 * 1024;
const IDS_PER_STATEMENT = 1000;

function byScheduleThenId(a: Execution, b: Execution): number {
  return a.scheduledAt - b.scheduledAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * {@link ExecutionStore} over Kysely. Claims are multi-row inserts-if-absent with ids chosen by
 * the claimer; every state change is one compare-and-set `UPDATE` on (state, owner, attempt).
 */
export class SqlExecutionStore implements ExecutionStore {
  readonly #db: Db;
  readonly #profile: DatabaseProfile;

  /** Binds the store to a database or a transaction; does no I/O. */
  constructor(db: Db, profile: DatabaseProfile) {
    this.#db = db;
    this.#profile = profile;
  }

  /**
   * Inserts the claims in chunks of up to 500 rows (one insert-if-absent each, in (job, instant)
   * order so concurrent claimers lock alike). A chunk whose every row was inserted is won
   * whole; for the others it selects which of the claimer's ids exist: an id can only exist if
   * this server inserted it, now or in an earlier try with the same ids.
   *
   * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a malformed claim or a repeated id.
   */
  async claimFires(
    serverId: string,
    claims: readonly FireClaim[],
    nowMs: number,
  ): Promise<ReadonlySet<string>> {
    checkText('serverId', serverId, STORE_LIMITS.serverIdMax);
    checkInt('nowMs', nowMs, 0, STORE_LIMITS.instantMax);
    const rows = claims.map((claim) => claimRow(claim, serverId, nowMs));
    const ids = rows.map((r) => r.id);
    if (new Set(ids).size !== ids.length) throw invalid('claims', 'ids must be distinct');
    rows.sort((a, b) => a.job_id - b.job_id || a.scheduled_at - b.scheduled_at);
    const columns = Object.keys(rows[0] ?? {}).length || 1;
    const perStatement = Math.min(
      CLAIMS_PER_STATEMENT,
      Math.floor(this.#profile.maxBindParameters / columns),
    );
    const runs = chunkBySize(rows, perStatement, BYTES_PER_STATEMENT, (r) =>
      typeof r.param === 'string' ? r.param.length * 3 + 256 : 256,
    );
    const won = new Set<string>();
    const unsure: string[] = [];
    for (const run of runs) {
      const [result] = await withRetry(this.#db, this.#profile, () =>
        skipDuplicates(this.#db.insertInto('executions').values(run), this.#profile).execute(),
      );
      // Every row of the run inserted (the usual case: one holder claims each fire): all won,
      // with no read. Fewer (a fire claimed by another holder, or rows an earlier try of this
      // very statement inserted before its reply was lost): which ones exist is read.
      if (result?.numInsertedOrUpdatedRows === BigInt(run.length))
        for (const r of run) won.add(r.id);
      else unsure.push(...run.map((r) => r.id));
    }
    for (const some of chunk(unsure, IDS_PER_STATEMENT)) {
      const found = await this.#db
        .selectFrom('executions')
        .select('id')
        .where('id', 'in', some)
        .execute();
      for (const row of found) won.add(row.id);
    }
    return won;
  }

  /**
   * @throws CarillonError `CARILLON_CONFLICT` if the claim's fire key is taken (a scheduled
   *   cause for an instant already fired), `CARILLON_NOT_FOUND` if the job does not exist.
   */
  async insertManual(claim: FireClaim, nowMs: number): Promise<Execution> {
    checkInt('nowMs', nowMs, 0, STORE_LIMITS.instantMax);
    const row = claimRow(claim, null, nowMs);
    const job = await this.#db
      .selectFrom('jobs')
      .select('id')
      .where('id', '=', row.job_id)
      .executeTakeFirst();
    if (job === undefined) throw new CarillonError(CoreErrorCode.NotFound, `no job ${row.job_id}`);
    try {
      await this.#db.insertInto('executions').values(row).execute();
    } catch (error) {
      throw translateWriteError(this.#profile, error, `execution of job ${claim.jobId}`);
    }
    const stored = await this.get(row.id);
    if (stored === undefined) throw new Error(`execution ${row.id} vanished after insert`);
    return stored;
  }

  async takeUnowned(serverId: string, jobIds: readonly number[]): Promise<readonly Execution[]> {
    checkText('serverId', serverId, STORE_LIMITS.serverIdMax);
    const taken: Execution[] = [];
    for (const some of chunk(jobIds, IDS_PER_STATEMENT)) {
      const rows = await withRetry(this.#db, this.#profile, () =>
        takeUnownedRows(this.#db, this.#profile, serverId, some),
      );
      taken.push(...rows.map(toExecution));
    }
    return taken.sort(byScheduleThenId);
  }

  async listJobsWithUnowned(): Promise<readonly number[]> {
    const rows = await this.#db
      .selectFrom('executions')
      .select('job_id')
      .distinct()
      .where('owner_server_id', 'is', null)
      .where('state', '=', ExecutionState.Claimed)
      .orderBy('job_id')
      .execute();
    return rows.map((row) => toInt(row.job_id));
  }

  /**
   * One `UPDATE … WHERE id AND state IN (from) AND owner AND attempt`; applied when it changed
   * one row. A fenced patch may keep the state (e.g. progress while running).
   *
   * @throws CarillonError `CARILLON_INVALID_TRANSITION` if some `from` cannot lead to `state`,
   *   `CARILLON_INVALID_ARGUMENT` for a malformed fence or patch.
   */
  async transition(
    fence: Fence,
    state: ExecutionState,
    patch: ExecutionPatch = {},
  ): Promise<boolean> {
    checkFence(fence, state);
    const set = patchColumns(patch, fence.attempt, state);
    const result = await withRetry(this.#db, this.#profile, () =>
      fencedUpdate(this.#db, fence, set),
    );
    return affected(result) === 1 || (await alreadyApplied(this.#db, { fence, state, patch }));
  }

  /**
   * See {@link transitionExecutions}: the usual batch in one fenced UPDATE per shape of change,
   * with no transaction; the others (or one whose fences did not all hold) in a transaction.
   *
   * @throws CarillonError as {@link transition}, for any change, before anything is written.
   */
  async transitionMany(changes: readonly ExecutionChange[]): Promise<boolean[]> {
    if (changes.length === 0) return [];
    // Checked before any write, so a malformed change fails the batch with nothing written.
    const sets = changes.map((c) => {
      checkFence(c.fence, c.state);
      return patchColumns(c.patch ?? {}, c.fence.attempt, c.state);
    });
    return transitionExecutions(this.#db, this.#profile, changes, sets);
  }

  async adoptOrphans(
    deadServerId: string,
    newServerId: string,
    jobIds?: readonly number[],
    claimedIds?: readonly string[],
  ): Promise<readonly Execution[]> {
    checkText('deadServerId', deadServerId, STORE_LIMITS.serverIdMax);
    checkText('newServerId', newServerId, STORE_LIMITS.serverIdMax);
    claimedIds?.forEach((id) => checkUuid('claimedIds', id));
    if (claimedIds !== undefined && claimedIds.length > IDS_PER_STATEMENT)
      throw invalid('claimedIds', `at most ${IDS_PER_STATEMENT} at once`);
    const groups = jobIds === undefined ? [undefined] : chunk(jobIds, IDS_PER_STATEMENT);
    const adopted: Execution[] = [];
    for (const some of groups) {
      // Shared by the tries: a retry after a takeover whose reply was lost returns its rows.
      const seen: AdoptionSeen = new Map();
      const rows = await withRetry(this.#db, this.#profile, () =>
        adoptOrphanRows(this.#db, this.#profile, deadServerId, newServerId, some, claimedIds, seen),
      );
      adopted.push(...rows.map(toExecution));
    }
    return adopted.sort(byScheduleThenId);
  }
  async adoptInFlight(
    deadServerId: string,
    newServerId: string,
    ids: readonly string[],
  ): Promise<readonly Execution[]> {
    checkText('deadServerId', deadServerId, STORE_LIMITS.serverIdMax);
    checkText('newServerId', newServerId, STORE_LIMITS.serverIdMax);
    ids.forEach((id) => checkUuid('ids', id));
    if (ids.length > IDS_PER_STATEMENT)
      throw invalid('ids', `at most ${IDS_PER_STATEMENT} at once`);
    const rows = await withRetry(this.#db, this.#profile, () =>
      adoptInFlightRows(this.#db, deadServerId, newServerId, ids),
    );
    return rows.map(toExecution).sort(byScheduleThenId);
  }

  async get(id: string): Promise<Execution | undefined> {
    const row = await this.#db
      .selectFrom('executions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toExecution(row);
  }

  /** Sets `cancelRequestedAt` once (a second request keeps the first instant). */
  async requestCancel(id: string, nowMs: number): Promise<Execution | undefined> {
    checkUuid('id', id);
    checkInt('nowMs', nowMs, 0, STORE_LIMITS.instantMax);
    await withRetry(this.#db, this.#profile, () =>
      this.#db
        .updateTable('executions')
        .set({ cancel_requested_at: nowMs })
        .where('id', '=', id)
        .where('state', 'in', UNFINISHED_STATES)
        .where('cancel_requested_at', 'is', null)
        .execute(),
    );
    return this.get(id);
  }

  /** Oldest first. */
  async listCancelRequested(serverId: string): Promise<readonly Execution[]> {
    const rows = await this.#db
      .selectFrom('executions')
      .selectAll()
      .where('owner_server_id', '=', serverId)
      .where('state', 'in', UNFINISHED_STATES)
      .where('cancel_requested_at', 'is not', null)
      .orderBy('scheduled_at')
      .orderBy('id')
      .execute();
    return rows.map(toExecution);
  }

  async listByJobAndStates(
    jobId: number,
    states: readonly ExecutionState[],
  ): Promise<readonly Execution[]> {
    if (states.length === 0) return [];
    const rows = await this.#db
      .selectFrom('executions')
      .selectAll()
      .where('job_id', '=', jobId)
      .where('state', 'in', states)
      .orderBy('scheduled_at')
      .orderBy('id')
      .execute();
    return rows.map(toExecution);
  }

  /** See {@link claimedOfJobs}. */
  listClaimedOfJobs(jobIds: readonly number[], fromMs: number): Promise<readonly Execution[]> {
    return claimedOfJobs(this.#db, jobIds, fromMs);
  }

  async listUnfinishedByOwner(serverId: string): Promise<readonly Execution[]> {
    const rows = await this.#db
      .selectFrom('executions')
      .selectAll()
      .where('owner_server_id', '=', serverId)
      .where('state', 'in', UNFINISHED_STATES)
      .orderBy('scheduled_at')
      .orderBy('id')
      .execute();
    return rows.map(toExecution);
  }

  /** See {@link findFireRows}. */
  findFires(
    fires: ReadonlyArray<{ readonly jobId: number; readonly scheduledAt: number }>,
  ): Promise<readonly Execution[]> {
    return findFireRows(this.#db, fires);
  }

  /** See {@link countFiresInHand}. */
  countFiresInHand(
    serverId: string,
    fires: ReadonlyArray<{ readonly jobId: number; readonly scheduledAt: number }>,
  ): Promise<number> {
    return countFiresInHand(this.#db, serverId, fires);
  }

  /** See {@link lastScheduledOf}. */
  lastScheduledAt(jobIds: readonly number[]): Promise<ReadonlyMap<number, number>> {
    return lastScheduledOf(this.#db, jobIds);
  }

  /** See {@link pageExecutions}. */
  page(query: ExecutionQuery): Promise<ExecutionPage> {
    return pageExecutions(this.#db, query);
  }

  /** See {@link appendLogs}: `seq` per execution in order; all refused if one is missing. */
  appendLogs(lines: readonly LogLine[]): Promise<void> {
    return appendLogs(this.#db, this.#profile, lines);
  }

  /** See {@link listLogs}. */
  listLogs(
    executionId: string,
    afterSeq?: number,
    limit?: number,
  ): Promise<readonly ExecutionLog[]> {
    return listLogs(this.#db, executionId, afterSeq, limit);
  }
}

/**
 * True when a change that did not apply had already been applied: the execution is in the
 * change's target state at the fence's owner and the attempt the change leaves. Only that owner
 * at that attempt writes the row, so it was this change, committed by an earlier try whose reply
 * was lost (a connection killed during the commit); the caller retrying it must not take that
 * for a lost fence. A change that keeps the state (progress) is never taken as applied.
 */
async function alreadyApplied(db: Db, change: ExecutionChange): Promise<boolean> {
  const row = await db
    .selectFrom('executions')
    .select(['state', 'owner_server_id', 'attempt'])
    .where('id', '=', change.fence.id)
    .executeTakeFirst();
  return (
    row !== undefined &&
    alreadyAppliedTo(change, {
      state: row.state,
      attempt: toInt(row.attempt),
      owner: row.owner_server_id,
    })
  );
}

function fencedUpdate(db: Db, fence: Fence, set: Updateable<ExecutionsTable>) {
  let update = db
    .updateTable('executions')
    .set(set)
    .where('id', '=', fence.id)
    .where('state', 'in', fence.from)
    .where('owner_server_id', '=', fence.ownerServerId)
    .where('attempt', '=', fence.attempt);
  if (fence.clientId !== undefined) update = update.where('client_id', '=', fence.clientId);
  return update.executeTakeFirst();
}
