import type { CallOptions } from '../harness.js';
import { jobBody } from '../fixtures.js';
import { accountCases } from './account-cases.js';
import type { BadCase } from './bad-case.js';
import { executionCases } from './execution-cases.js';
import { groupCases } from './group-cases.js';
import { jobCreateCases } from './job-create-cases.js';
import { routingRetryCases, shardingCases } from './job-setting-cases.js';
import { storedJobCases } from './stored-job-cases.js';

/**
 * Bad requests against a group and one of its jobs: each kind of input the edge must refuse
 * (bad cron, unknown zone, malformed group id, oversized parameter, unknown fields, wrong types,
 * empty names, a cron trigger without its cron, bad JSON, ...), by the resource they address.
 */
export function badRequests(groupId: string, jobId: number, jobVersion: number): BadCase[] {
  const create = (overrides: Record<string, unknown>): CallOptions => ({
    body: jobBody(groupId, overrides),
  });
  return [
    ...jobCreateCases(groupId),
    ...storedJobCases(groupId, jobId, jobVersion),
    ...routingRetryCases(jobId, create),
    ...shardingCases(jobId, create),
    ...groupCases(groupId),
    ...executionCases(jobId),
    ...accountCases(),
  ];
}
