import type { Job, JobSpec, JobStatus } from '../job.js';

/** What may change on an existing job; holders change through `setHolders`. */
export type JobUpdate = Partial<Omit<JobSpec, 'groupId'>>;

/** What {@link JobStore.listChangedSince} found. */
export interface JobChanges {
  readonly jobs: readonly Job[];
  /** The change number of the last job found, or `since` when none. */
  readonly seq: number;
}

/** The jobs. Deleted jobs are kept (executions refer to them) with status `deleted`. */
export interface JobStore {
  /** Creates a job; returns it with its new id and version 1. */
  create(spec: JobSpec, holders: readonly string[], nowMs: number): Promise<Job>;
  get(id: number): Promise<Job | undefined>;
  /** Jobs of a group that are not deleted, by id. */
  listByGroup(groupId: string): Promise<readonly Job[]>;
  /** Jobs not deleted that `serverId` holds, by id. */
  listByHolder(serverId: string): Promise<readonly Job[]>;
  /**
   * The job change sequence number last given out. Every job write (create, update, status,
   * holders) is stamped with the next number, and numbers become visible in order: a reader
   * that sees number n sees every write below it. Read it before a full load such as
   * `listByHolder`, then follow changes with `listChangedSince`.
   */
  changeSeq(): Promise<number>;
  /**
   * The jobs written after change number `since`, in any status (deleted too) and whoever
   * holds them, in the order written, and the number to ask from next time.
   */
  listChangedSince(since: number): Promise<JobChanges>;
  /** Applies `update` if the job's version is still `expectedVersion`; returns the new job or undefined. */
  update(
    id: number,
    expectedVersion: number,
    update: JobUpdate,
    nowMs: number,
  ): Promise<Job | undefined>;
  /** Sets the status if the job's version is still `expectedVersion`; returns the new job or undefined. */
  setStatus(
    id: number,
    expectedVersion: number,
    status: JobStatus,
    nowMs: number,
  ): Promise<Job | undefined>;
  /**
   * Replaces the holders if the version is still `expectedVersion`; returns the new job or
   * undefined. Bumps the version but not `updatedAt`, which marks changes a user made.
   */
  setHolders(
    id: number,
    expectedVersion: number,
    holders: readonly string[],
    nowMs: number,
  ): Promise<Job | undefined>;
}
