import { expect } from 'vitest';
import {
  ExecutionCause,
  JobKind,
  MisfirePolicy,
  OverlapPolicy,
  RoutingStrategy,
  newExecutionId,
} from '@carillon/core';
import type { FireClaim, Job, JobSpec, Stores, TaskGroup } from '@carillon/core';

/** A fixed instant the tests count from. */
export const T0 = Date.UTC(2026, 0, 1);

/** A valid job spec in `groupId`, with `overrides`. */
export function jobSpec(groupId: string, overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    groupId,
    name: 'nightly report',
    description: 'sends the report',
    trigger: { type: 'cron', cron: '0 0 2 * * ?', timeZone: 'Europe/Berlin' },
    handler: 'report',
    kind: JobKind.Simple,
    param: '{"format":"pdf"}',
    routing: RoutingStrategy.LeastLoaded,
    overlap: OverlapPolicy.Skip,
    misfire: MisfirePolicy.FireOnce,
    timeoutMs: 60_000,
    maxRetries: 3,
    ...overrides,
  };
}

/** What {@link seedJobs} made; `job(i)` is `jobs[i]`, or throws if there is none. */
export interface SeededJobs {
  readonly group: TaskGroup;
  readonly jobs: Job[];
  readonly job: (i: number) => Job;
}

/** A new group of cluster 101 and `count` jobs in it, held by `holders`. */
export async function seedJobs(
  stores: Pick<Stores, 'groups' | 'jobs'>,
  count: number,
  holders: readonly string[] = ['s1', 's2'],
): Promise<SeededJobs> {
  const group = await stores.groups.create(
    { cluster: 101, serverGroup: 1, backups: 2, name: 'seed' },
    T0,
  );
  const jobs: Job[] = [];
  for (let i = 0; i < count; i++) {
    jobs.push(await stores.jobs.create(jobSpec(group.id, { name: `job ${i}` }), holders, T0));
  }
  const job = (i: number): Job => {
    const found = jobs[i];
    if (found === undefined) throw new Error(`no job ${i}`);
    return found;
  };
  return { group, jobs, job };
}

/** A scheduled claim of `job` at `scheduledAt`, with a fresh id. */
export function claimOf(
  job: Job,
  scheduledAt: number,
  cause: ExecutionCause = ExecutionCause.Schedule,
): FireClaim {
  return {
    id: newExecutionId(scheduledAt),
    jobId: job.id,
    groupId: job.groupId,
    scheduledAt,
    cause,
    param: null,
  };
}

/** Matches a `CarillonError` (or any error) with this code. */
export function withCode(code: string): unknown {
  return expect.objectContaining({ code }) as unknown;
}
