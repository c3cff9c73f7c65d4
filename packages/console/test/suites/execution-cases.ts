import type { BadCase } from './bad-case.js';

/** Bad execution queries. */
export function executionCases(jobId: number): BadCase[] {
  return [
    {
      name: 'unknown execution state',
      method: 'GET',
      path: `/api/v1/executions?jobId=${jobId}&state=claimed,bogus`,
      options: {},
      status: 400,
      code: 'CARILLON_INVALID_ARGUMENT',
      field: 'query.state',
    },
    {
      name: 'execution limit too large',
      method: 'GET',
      path: `/api/v1/executions?jobId=${jobId}&limit=501`,
      options: {},
      status: 400,
      code: 'CARILLON_INVALID_REQUEST',
      field: 'limit',
    },
  ];
}
