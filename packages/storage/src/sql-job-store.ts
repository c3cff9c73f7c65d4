import type { Updateable } from 'kysely';
import { JobStatus, assertJobTransition } from '@carillon/core';
import type { Job, JobChanges, JobSpec, JobStore, JobUpdate } from '@carillon/core';
import type { DatabaseProfile } from './database-profile.js';
import { checkHolders, checkStatus, specColumns, toJob } from './job-rows.js';
import type { JobsTable } from './schema.js';
import { affected, inTransaction, toInt } from './sql-helpers.js';
import type { Db } from './sql-helpers.js';
import { STORE_LIMITS, checkInt, translateWriteError } from './validate.js';

interface HolderRow {
  readonly job_id: number;
  readonly server_id: string;
}

/**
 * Takes the next job change number. Called first in every job write's transaction: the
 * counter's row lock, held until commit, puts job writes in one order, so that numbers become
 * visible in order (and two job writes never wait on each other the other way round).
 */
async function nextChangeSeq(trx: Db): Promise<number> {
  await trx
    .updateTable('job_change_counter')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('id', '=', 1)
    .execute();
  const row = await trx
    .selectFrom('job_change_counter')
    .select('value')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return toInt(row.value);
}

function holdersByJob(rows: readonly HolderRow[]): Map<number, string[]> {
  const byJob = new Map<number, string[]>();
  for (const row of rows) {
    const id = toInt(row.job_id);
    const list = byJob.get(id) ?? [];
    list.push(row.server_id);
    byJob.set(id, list);
  }
  return byJob;
}

/**
 * {@link JobStore} over Kysely. Holders live in `job_holders` (indexed by server), so that a
 * server's jobs are one index range even among 100k jobs. Every change bumps `version` and
 * applies only at the version the caller read (optimistic locking), and takes the next job
 * change number (see `job_change_counter`), so that servers follow changes cheaply.
 */
export class SqlJobStore implements JobStore {
  readonly #db: Db;
  readonly #profile: DatabaseProfile;

  /** Binds the store to a database or a transaction; does no I/O. */
  constructor(db: Db, profile: DatabaseProfile) {
    this.#db = db;
    this.#profile = profile;
  }

  /**
   * Creates an enabled job at version 1 with its holders, in one transaction.
   *
   * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a field out of its limits,
   *   `CARILLON_NOT_FOUND` if the task group does not exist.
   */
  async create(spec: JobSpec, holders: readonly string[], nowMs: number): Promise<Job> {
    const columns = specColumns(spec);
    checkHolders(holders);
    checkInt('nowMs', nowMs, 0, STORE_LIMITS.instantMax);
    try {
      return await inTransaction(this.#db, async (trx) => {
        const changeSeq = await nextChangeSeq(trx);
        const result = await trx
          .insertInto('jobs')
          .values({
            ...columns,
            status: JobStatus.Enabled,
            created_at: nowMs,
            updated_at: nowMs,
            version: 1,
            change_seq: changeSeq,
          })
          .executeTakeFirstOrThrow();
        const id = toInt(result.insertId);
        await this.#writeHolders(trx, id, holders);
        const job = await this.#get(trx, id);
        if (job === undefined) throw new Error(`job ${id} vanished inside its transaction`);
        return job;
      });
    } catch (error) {
      throw translateWriteError(this.#profile, error, `job in group ${spec.groupId}`);
    }
  }

  get(id: number): Promise<Job | undefined> {
    return this.#get(this.#db, id);
  }

  async listByGroup(groupId: string): Promise<readonly Job[]> {
    const rows = await this.#db
      .selectFrom('jobs')
      .selectAll()
      .where('group_id', '=', groupId)
      .where('status', '<>', JobStatus.Deleted)
      .orderBy('id')
      .execute();
    const holders = await this.#db
      .selectFrom('job_holders as h')
      .innerJoin('jobs as j', 'j.id', 'h.job_id')
      .select(['h.job_id', 'h.server_id'])
      .where('j.group_id', '=', groupId)
      .where('j.status', '<>', JobStatus.Deleted)
      .orderBy('h.job_id')
      .orderBy('h.position')
      .execute();
    const byJob = holdersByJob(holders);
    return rows.map((row) => toJob(row, byJob.get(toInt(row.id)) ?? []));
  }

  async listByHolder(serverId: string): Promise<readonly Job[]> {
    const rows = await this.#db
      .selectFrom('job_holders as mine')
      .innerJoin('jobs', 'jobs.id', 'mine.job_id')
      .selectAll('jobs')
      .where('mine.server_id', '=', serverId)
      .where('jobs.status', '<>', JobStatus.Deleted)
      .orderBy('jobs.id')
      .execute();
    // All holders of those jobs in one query, through the same index range.
    const holders = await this.#db
      .selectFrom('job_holders as mine')
      .innerJoin('jobs as j', 'j.id', 'mine.job_id')
      .innerJoin('job_holders as h', 'h.job_id', 'mine.job_id')
      .select(['h.job_id', 'h.server_id'])
      .where('mine.server_id', '=', serverId)
      .where('j.status', '<>', JobStatus.Deleted)
      .orderBy('h.job_id')
      .orderBy('h.position')
      .execute();
    const byJob = holdersByJob(holders);
    return rows.map((row) => toJob(row, byJob.get(toInt(row.id)) ?? []));
  }

  async changeSeq(): Promise<number> {
    const row = await this.#db
      .selectFrom('job_change_counter')
      .select('value')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return toInt(row.value);
  }

  async listChangedSince(since: number): Promise<JobChanges> {
    checkInt('since', since, 0, Number.MAX_SAFE_INTEGER);
    // One transaction, so that each job comes with the holders of the same write.
    return inTransaction(this.#db, async (trx) => {
      const rows = await trx
        .selectFrom('jobs')
        .selectAll()
        .where('change_seq', '>', since)
        .orderBy('change_seq')
        .execute();
      if (rows.length === 0) return { jobs: [], seq: since };
      const holders = await trx
        .selectFrom('job_holders as h')
        .innerJoin('jobs as j', 'j.id', 'h.job_id')
        .select(['h.job_id', 'h.server_id'])
        .where('j.change_seq', '>', since)
        .orderBy('h.job_id')
        .orderBy('h.position')
        .execute();
      const byJob = holdersByJob(holders);
      return {
        jobs: rows.map((row) => toJob(row, byJob.get(toInt(row.id)) ?? [])),
        seq: toInt(rows[rows.length - 1]?.change_seq ?? since),
      };
    });
  }

  /**
   * Applies `update` on top of the stored spec (the group never changes), validating the result.
   *
   * @throws CarillonError `CARILLON_INVALID_ARGUMENT` if the updated spec breaks a limit.
   */
  async update(
    id: number,
    expectedVersion: number,
    update: JobUpdate,
    nowMs: number,
  ): Promise<Job | undefined> {
    const current = await this.get(id);
    if (current === undefined || current.version !== expectedVersion) return undefined;
    // The group never changes, whatever the update says.
    const columns = specColumns({ ...current, ...update, groupId: current.groupId });
    return this.#fencedUpdate(id, expectedVersion, columns, nowMs);
  }

  /**
   * @throws CarillonError `CARILLON_INVALID_TRANSITION` if the job's status cannot go to
   *   `status` (a deleted job stays deleted).
   */
  async setStatus(
    id: number,
    expectedVersion: number,
    status: JobStatus,
    nowMs: number,
  ): Promise<Job | undefined> {
    checkStatus(status);
    const current = await this.get(id);
    if (current === undefined || current.version !== expectedVersion) return undefined;
    assertJobTransition(current.status, status);
    return this.#fencedUpdate(id, expectedVersion, { status }, nowMs);
  }

  async setHolders(
    id: number,
    expectedVersion: number,
    holders: readonly string[],
    nowMs: number,
  ): Promise<Job | undefined> {
    checkHolders(holders);
    checkInt('nowMs', nowMs, 0, STORE_LIMITS.instantMax);
    return inTransaction(this.#db, async (trx) => {
      const changeSeq = await nextChangeSeq(trx);
      const result = await trx
        .updateTable('jobs')
        // updated_at stays: it marks changes a user made, and the scheduler starts a job's
        // schedule afresh from it; a change of holders must not look like one.
        .set((eb) => ({ version: eb('version', '+', 1), change_seq: changeSeq }))
        .where('id', '=', id)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      if (affected(result) !== 1) return undefined;
      await trx.deleteFrom('job_holders').where('job_id', '=', id).execute();
      await this.#writeHolders(trx, id, holders);
      return this.#get(trx, id);
    });
  }

  async #fencedUpdate(
    id: number,
    expectedVersion: number,
    columns: Updateable<JobsTable>,
    nowMs: number,
  ): Promise<Job | undefined> {
    checkInt('nowMs', nowMs, 0, STORE_LIMITS.instantMax);
    return inTransaction(this.#db, async (trx) => {
      const changeSeq = await nextChangeSeq(trx);
      const result = await trx
        .updateTable('jobs')
        .set((eb) => ({
          ...columns,
          version: eb('version', '+', 1),
          updated_at: nowMs,
          change_seq: changeSeq,
        }))
        .where('id', '=', id)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      return affected(result) === 1 ? this.#get(trx, id) : undefined;
    });
  }

  async #writeHolders(trx: Db, jobId: number, holders: readonly string[]): Promise<void> {
    if (holders.length === 0) return;
    await trx
      .insertInto('job_holders')
      .values(
        holders.map((serverId, position) => ({ job_id: jobId, server_id: serverId, position })),
      )
      .execute();
  }

  async #get(db: Db, id: number): Promise<Job | undefined> {
    const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) return undefined;
    const holders = await db
      .selectFrom('job_holders')
      .select('server_id')
      .where('job_id', '=', id)
      .orderBy('position')
      .execute();
    return toJob(
      row,
      holders.map((h) => h.server_id),
    );
  }
}
