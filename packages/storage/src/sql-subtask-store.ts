import { CompiledQuery, sql } from 'kysely';
import type { Selectable, Updateable } from 'kysely';
import {
  CarillonError,
  CoreErrorCode,
  SUBTASK_STATES,
  SubtaskState,
  canSubtaskTransition,
} from '@carillon/core';
import type {
  NewSubtask,
  Subtask,
  SubtaskChange,
  SubtaskFence,
  SubtaskPatch,
  SubtaskQuery,
  SubtaskStore,
} from '@carillon/core';
import type { DatabaseProfile } from './database-profile.js';
import { MAX_ID } from './execution-checks.js';
import { lockExecutions } from './execution-logs.js';
import { withRetry } from './retry.js';
import { inAppendTransaction, insertSequenced } from './sequenced-insert.js';
import { applySubtaskChanges } from './subtask-transitions.js';
import type { SubtasksTable } from './schema.js';
import {
  affected,
  chunk,
  chunkBySize,
  inTransaction,
  placeholders,
  toInt,
  toIntOrNull,
} from './sql-helpers.js';
import type { Db } from './sql-helpers.js';
import {
  STORE_LIMITS,
  checkBytesOrNull,
  checkInstantOrNull,
  checkInt,
  checkOneOf,
  checkText,
  checkTextOrNull,
  checkUuid,
  invalid,
} from './validate.js';

const ROWS_PER_STATEMENT = 500;
const BYTES_PER_STATEMENT = 4 * 1024 * 1024;

function toSubtask(row: Selectable<SubtasksTable>): Subtask {
  return {
    id: row.id,
    executionId: row.execution_id,
    seq: toInt(row.seq),
    payload: row.payload,
    state: row.state as SubtaskState,
    attempt: toInt(row.attempt),
    clientId: row.client_id,
    createdAt: toInt(row.created_at),
    dispatchedAt: toIntOrNull(row.dispatched_at),
    startedAt: toIntOrNull(row.started_at),
    finishedAt: toIntOrNull(row.finished_at),
    result: row.result,
    reason: row.reason,
  };
}

/**
 * The new state's and the patch's columns. The state comes first in the object made here, not
 * added by the caller as `{ ...columns, state }`: on Node 20, V8 takes a slow path for a spread
 * followed by a property the spread object lacks (about 3 µs a change).
 */
function patchColumns(
  patch: SubtaskPatch,
  fenceAttempt: number,
  state: SubtaskState,
): Updateable<SubtasksTable> {
  const set: Updateable<SubtasksTable> = { state };
  if (patch.clientId !== undefined)
    set.client_id = checkTextOrNull('patch.clientId', patch.clientId, STORE_LIMITS.clientIdMax);
  if (patch.dispatchedAt !== undefined)
    set.dispatched_at = checkInstantOrNull('patch.dispatchedAt', patch.dispatchedAt);
  if (patch.startedAt !== undefined)
    set.started_at = checkInstantOrNull('patch.startedAt', patch.startedAt);
  if (patch.finishedAt !== undefined)
    set.finished_at = checkInstantOrNull('patch.finishedAt', patch.finishedAt);
  if (patch.result !== undefined)
    set.result = checkBytesOrNull('patch.result', patch.result, STORE_LIMITS.resultMaxBytes);
  if (patch.reason !== undefined)
    set.reason = checkTextOrNull('patch.reason', patch.reason, STORE_LIMITS.reasonMax);
  if (patch.attempt !== undefined) {
    if (patch.attempt !== fenceAttempt + 1)
      throw invalid('patch.attempt', `must be the fence's attempt + 1 (${fenceAttempt + 1})`);
    set.attempt = patch.attempt;
  }
  return set;
}

/** Checks a fenced change; returns the columns it sets. */
function checkChange(
  fence: SubtaskFence,
  state: SubtaskState,
  patch: SubtaskPatch,
): Updateable<SubtasksTable> {
  checkUuid('fence.id', fence.id);
  checkText('fence.ownerServerId', fence.ownerServerId, STORE_LIMITS.serverIdMax);
  checkInt('fence.attempt', fence.attempt, 1, MAX_ID);
  if (fence.clientId !== undefined)
    checkText('fence.clientId', fence.clientId, STORE_LIMITS.clientIdMax);
  checkOneOf('state', state, SUBTASK_STATES);
  if (fence.from.length === 0) throw invalid('fence.from', 'must name at least one state');
  for (const from of fence.from) {
    checkOneOf('fence.from', from, SUBTASK_STATES);
    if (from !== state && !canSubtaskTransition(from, state)) {
      throw new CarillonError(
        CoreErrorCode.InvalidTransition,
        `subtask cannot go from ${from} to ${state}`,
        { details: { from, to: state } },
      );
    }
  }
  return patchColumns(patch, fence.attempt, state);
}

/** The compare-and-set of one subtask: state, attempt (client), and its execution's owner. */
function fencedUpdate(db: Db, fence: SubtaskFence, set: Updateable<SubtasksTable>) {
  let update = db
    .updateTable('subtasks')
    .set(set)
    .where('id', '=', fence.id)
    .where('state', 'in', fence.from)
    .where('attempt', '=', fence.attempt);
  if (fence.clientId !== undefined) update = update.where('client_id', '=', fence.clientId);
  return update
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('executions')
          .select(sql.lit(1).as('one'))
          .whereRef('executions.id', '=', 'subtasks.execution_id')
          .where('executions.owner_server_id', '=', fence.ownerServerId),
      ),
    )
    .executeTakeFirst();
}

/**
 * {@link SubtaskStore} over Kysely. Positions are numbered like log lines (one
 * `INSERT … SELECT` per chunk, behind the execution's row lock where there are row locks); a
 * fenced change checks the owner on the subtask's execution, so adopting the execution adopts
 * its subtasks.
 */
export class SqlSubtaskStore implements SubtaskStore {
  readonly #db: Db;
  readonly #profile: DatabaseProfile;

  /** Binds the store to a database or a transaction; does no I/O. */
  constructor(db: Db, profile: DatabaseProfile) {
    this.#db = db;
    this.#profile = profile;
  }

  get batchesSideBySide(): boolean {
    return this.#profile.supportsRowLocks && !this.#profile.singleConnection;
  }

  /**
   * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a malformed or repeated id or a payload
   *   over 1 MiB, `CARILLON_NOT_FOUND` if the execution does not exist.
   */
  async insertBatch(
    executionId: string,
    subtasks: readonly NewSubtask[],
    nowMs: number,
  ): Promise<readonly Subtask[]> {
    checkUuid('executionId', executionId);
    checkInt('nowMs', nowMs, 0, STORE_LIMITS.instantMax);
    const rows = subtasks.map((s, i) => {
      const payload = checkBytesOrNull(
        `subtasks[${i}].payload`,
        s.payload,
        STORE_LIMITS.payloadMaxBytes,
      );
      if (payload === null) throw invalid(`subtasks[${i}].payload`, 'must be a string');
      return {
        parentId: executionId,
        values: [checkUuid(`subtasks[${i}].id`, s.id), payload, SubtaskState.Pending, 1, nowMs],
      };
    });
    const ids = subtasks.map((s) => s.id);
    if (new Set(ids).size !== ids.length) throw invalid('subtasks', 'ids must be distinct');
    if (rows.length === 0) return [];
    const write = async (trx: Db): Promise<void> => {
      const existing = await lockExecutions(trx, this.#profile, [executionId]);
      if (!existing.has(executionId)) {
        throw new CarillonError(CoreErrorCode.NotFound, `no execution ${executionId}`);
      }
      // Subtasks inserted before (a repeated call) keep their positions and take no new ones.
      const known = new Set<string>();
      for (const some of chunk(ids, 1000)) {
        const { rows: found } = await trx.executeQuery<{ id: string }>(
          CompiledQuery.raw(
            `select id from subtasks where id in (${placeholders(some.length)})`,
            some,
          ),
        );
        for (const row of found) known.add(row.id);
      }
      const fresh = rows.filter((r) => !known.has(String(r.values[0])));
      const runs = chunkBySize(
        fresh,
        ROWS_PER_STATEMENT,
        BYTES_PER_STATEMENT,
        (r) => String(r.values[1]).length * 3 + 128,
      );
      for (const run of runs) {
        await insertSequenced(
          trx,
          this.#profile,
          {
            table: 'subtasks',
            parentColumn: 'execution_id',
            columns: ['id', 'payload', 'state', 'attempt', 'created_at'],
            skipDuplicates: true,
          },
          run,
        );
      }
    };
    // As for log lines (see inAppendTransaction: no gap locks between servers' executions).
    await inAppendTransaction(this.#db, this.#profile, write);
    const stored = new Map<string, Subtask>();
    for (const some of chunk(ids, 1000)) {
      const { rows: found } = await this.#db.executeQuery<Selectable<SubtasksTable>>(
        CompiledQuery.raw(
          `select * from subtasks where id in (${placeholders(some.length)})`,
          some,
        ),
      );
      for (const row of found) stored.set(row.id, toSubtask(row));
    }
    return ids.flatMap((id) => stored.get(id) ?? []);
  }

  async get(id: string): Promise<Subtask | undefined> {
    const row = await this.#db
      .selectFrom('subtasks')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : toSubtask(row);
  }

  /**
   * @throws CarillonError `CARILLON_INVALID_TRANSITION` if some `from` cannot lead to `state`
   *   (keeping the state is allowed), `CARILLON_INVALID_ARGUMENT` for a malformed fence or patch.
   */
  async transition(
    fence: SubtaskFence,
    state: SubtaskState,
    patch: SubtaskPatch = {},
  ): Promise<boolean> {
    const set = checkChange(fence, state, patch);
    const result = await withRetry(this.#db, this.#profile, () =>
      fencedUpdate(this.#db, fence, set),
    );
    return affected(result) === 1;
  }

  /**
   * @throws CarillonError as {@link transition}, for the first malformed change; then nothing
   *   is written.
   */
  async transitionMany(changes: readonly SubtaskChange[]): Promise<boolean[]> {
    if (changes.length === 0) return [];
    const sets = changes.map((c) => checkChange(c.fence, c.state, c.patch ?? {}));
    // The whole batch is retried after a deadlock: it rolled back, so nothing applied twice.
    return withRetry(this.#db, this.#profile, () =>
      inTransaction(this.#db, (trx) => applySubtaskChanges(trx, this.#profile, changes, sets)),
    );
  }

  /** @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a limit outside 1..1000. */
  async listByExecution(
    executionId: string,
    query: SubtaskQuery = {},
  ): Promise<readonly Subtask[]> {
    const limit = checkInt('limit', query.limit ?? 1000, 1, 1000);
    const afterSeq = checkInt('afterSeq', query.afterSeq ?? 0, 0, Number.MAX_SAFE_INTEGER);
    if (query.states !== undefined && query.states.length === 0) return [];
    let select = this.#db
      .selectFrom('subtasks')
      .selectAll()
      .where('execution_id', '=', executionId)
      .where('seq', '>', afterSeq);
    if (query.states !== undefined) select = select.where('state', 'in', query.states);
    const rows = await select.orderBy('seq').limit(limit).execute();
    return rows.map(toSubtask);
  }

  async countByState(executionId: string): Promise<ReadonlyMap<SubtaskState, number>> {
    const rows = await this.#db
      .selectFrom('subtasks')
      .select((eb) => ['state', eb.fn.countAll().as('n')])
      .where('execution_id', '=', executionId)
      .groupBy('state')
      .execute();
    return new Map(rows.map((r) => [r.state as SubtaskState, toInt(r.n)]));
  }
}
