import type { Job, JobSpec, JobStatus } from '../job.js';

/** What may change on an existing job; holders change through `setHolders`. */
export type JobUpdate = Partial<Omit<JobSpec, 'groupId'>>;

/** The jobs. Deleted jobs are kept (executions refer to them) with status `deleted`. */
export interface JobStore {
  /** Creates a job; returns it with its new id and version 1. */
  create(spec: JobSpec, holders: readonly string[], nowMs: number): Promise<Job>;
  get(id: number): Promise<Job | undefined>;
  /** Jobs of a group that are not deleted, by id. */
  listByGroup(groupId: string): Promise<readonly Job[]>;
  /** Jobs not deleted that `serverId` holds, by id. */
  listByHolder(serverId: string): Promise<readonly Job[]>;
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
