import { EXECUTION_STATES, ExecutionState } from '@carillon/core';
import type { Execution, ExecutionPage, ExecutionQuery } from '@carillon/core';
import { sql } from 'kysely';
import { MAX_ID } from './execution-checks.js';
import { decodeCursor, encodeCursor, toExecution } from './execution-rows.js';
import { chunk, toInt } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';
import { STORE_LIMITS, checkInt, checkOneOf } from './validate.js';

/** At most this many job ids in one statement. */
const IDS_PER_STATEMENT = 1000;

/** The executions of these (job, scheduled instant) fires that exist. */
export async function findFireRows(
  db: Db,
  fires: ReadonlyArray<{ readonly jobId: number; readonly scheduledAt: number }>,
): Promise<readonly Execution[]> {
  if (fires.length === 0) return [];
  const wanted = new Set(fires.map((f) => `${f.jobId}:${f.scheduledAt}`));
  const instants = fires.map((f) => f.scheduledAt);
  const from = Math.min(...instants);
  const to = Math.max(...instants);
  const found: Execution[] = [];
  for (const some of chunk([...new Set(fires.map((f) => f.jobId))], IDS_PER_STATEMENT)) {
    // A range per job on the unique (job_id, scheduled_fire) index; a time slot is narrow, so
    // the few rows in range but not asked for are dropped here rather than listed in SQL.
    const rows = await db
      .selectFrom('executions')
      .selectAll()
      .where('job_id', 'in', some)
      .where('scheduled_fire', '>=', from)
      .where('scheduled_fire', '<=', to)
      .execute();
    for (const row of rows) {
      const execution = toExecution(row);
      if (wanted.has(`${execution.jobId}:${execution.scheduledAt}`)) found.push(execution);
    }
  }
  return found;
}

/**
 * How many of `fires` have a row that is in hand: dispatched or further, or claimed by
 * `serverId`, or by no server. Exact pairs (an instant and its jobs), not a range: a row of the
 * same jobs at another instant must not make up for a missing one. One number per statement,
 * however many fires, so a standby that finds them all in hand reads no row at all. The ids and
 * instants are checked integers written into the statement as a list: built as parameters,
 * they cost a standby more CPU per fire than the rest of its look.
 */
export async function countFiresInHand(
  db: Db,
  serverId: string,
  fires: ReadonlyArray<{ readonly jobId: number; readonly scheduledAt: number }>,
): Promise<number> {
  let inHand = 0;
  for (const some of chunk(fires, IDS_PER_STATEMENT)) {
    const jobsAt = new Map<number, string[]>();
    for (const f of some) {
      const at = checkInt('scheduledAt', f.scheduledAt, 0, STORE_LIMITS.instantMax);
      const id = String(checkInt('jobId', f.jobId, 1, MAX_ID));
      const ids = jobsAt.get(at);
      if (ids === undefined) jobsAt.set(at, [id]);
      else ids.push(id);
    }
    const pairs = [...jobsAt].map(
      ([at, ids]) => `(scheduled_fire = ${at} and job_id in (${ids.join(',')}))`,
    );
    const row = await db
      .selectFrom('executions')
      .select((eb) => eb.fn.countAll().as('n'))
      .where(sql<boolean>`(${sql.raw(pairs.join(' or '))})`)
      .where((eb) =>
        eb.or([
          eb('state', '!=', ExecutionState.Claimed),
          eb('owner_server_id', '=', serverId),
          eb('owner_server_id', 'is', null),
        ]),
      )
      .executeTakeFirstOrThrow();
    inHand += toInt(row.n);
  }
  return inHand;
}

/** The `claimed` executions of `jobIds` scheduled at or after `fromMs`, oldest first. */
export async function claimedOfJobs(
  db: Db,
  jobIds: readonly number[],
  fromMs: number,
): Promise<readonly Execution[]> {
  checkInt('fromMs', fromMs, 0, STORE_LIMITS.instantMax);
  const found: Execution[] = [];
  for (const some of chunk([...new Set(jobIds)], IDS_PER_STATEMENT)) {
    // On the (job_id, state) index: a job has few claimed rows, whatever its history.
    const rows = await db
      .selectFrom('executions')
      .selectAll()
      .where('job_id', 'in', some)
      .where('state', '=', ExecutionState.Claimed)
      .where('scheduled_at', '>=', fromMs)
      .execute();
    for (const row of rows) found.push(toExecution(row));
  }
  return found.sort((a, b) => a.scheduledAt - b.scheduledAt || (a.id < b.id ? -1 : 1));
}

/** The latest scheduled instant per job; jobs with no scheduled or misfire execution are absent. */
export async function lastScheduledOf(
  db: Db,
  jobIds: readonly number[],
): Promise<ReadonlyMap<number, number>> {
  const last = new Map<number, number>();
  for (const some of chunk(jobIds, IDS_PER_STATEMENT)) {
    // A correlated MAX per job is one seek on the unique (job_id, scheduled_fire) index on
    // both databases, where GROUP BY would scan every execution of the jobs.
    const rows = await db
      .selectFrom('jobs')
      .select((eb) => [
        'jobs.id',
        eb
          .selectFrom('executions')
          .select((e) => e.fn.max('executions.scheduled_fire').as('m'))
          .whereRef('executions.job_id', '=', 'jobs.id')
          .as('last'),
      ])
      .where('jobs.id', 'in', some)
      .execute();
    for (const row of rows) {
      if (row.last !== null && row.last !== undefined) last.set(toInt(row.id), toInt(row.last));
    }
  }
  return last;
}

/**
 * Newest scheduled first, ties by id (descending); the cursor is the last item's
 * (scheduledAt, id). `states: []` matches nothing.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a limit outside 1..500 or a bad cursor.
 */
export async function pageExecutions(db: Db, query: ExecutionQuery): Promise<ExecutionPage> {
  const limit = checkInt('limit', query.limit ?? 50, 1, 500);
  if (query.states !== undefined) {
    if (query.states.length === 0) return { items: [], nextCursor: null };
    for (const s of query.states) checkOneOf('states', s, EXECUTION_STATES);
  }
  const after =
    query.cursor === undefined || query.cursor === null ? undefined : decodeCursor(query.cursor);
  let select = db.selectFrom('executions').selectAll();
  if (query.jobId !== undefined)
    select = select.where('job_id', '=', checkInt('jobId', query.jobId, 1, MAX_ID));
  if (query.groupId !== undefined) select = select.where('group_id', '=', query.groupId);
  if (query.states !== undefined) select = select.where('state', 'in', query.states);
  if (query.from !== undefined) {
    select = select.where(
      'scheduled_at',
      '>=',
      checkInt('from', query.from, 0, STORE_LIMITS.instantMax),
    );
  }
  if (query.to !== undefined) {
    select = select.where(
      'scheduled_at',
      '<',
      checkInt('to', query.to, 0, STORE_LIMITS.instantMax),
    );
  }
  if (after !== undefined) {
    select = select.where((eb) =>
      eb.or([
        eb('scheduled_at', '<', after.scheduledAt),
        eb.and([eb('scheduled_at', '=', after.scheduledAt), eb('id', '<', after.id)]),
      ]),
    );
  }
  const rows = await select
    .orderBy('scheduled_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit).map(toExecution);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last) : null,
  };
}
