import { jobBody } from '../fixtures.js';
import type { BadCase } from './bad-case.js';

const NUL = 'a\u0000b';
const LONE_HIGH = 'x\ud800y';
const LONE_LOW = '\udc00';

/**
 * Input that cannot be stored faithfully, in every kind of text field, and crons that never
 * fire: each must get a 400 naming the field and change nothing.
 */
export function storedTextCases(groupId: string, jobId: number): BadCase[] {
  const create = (overrides: Record<string, unknown>) => ({ body: jobBody(groupId, overrides) });
  const cron = (c: string, timeZone = 'UTC') => ({ type: 'cron', cron: c, timeZone });
  const invalid = (
    name: string,
    method: string,
    path: string,
    body: unknown,
    field: string,
  ): BadCase => ({
    name,
    method,
    path,
    options: { body },
    status: 400,
    code: 'CARILLON_INVALID_ARGUMENT',
    field,
  });
  return [
    invalid('job name with NUL', 'POST', '/api/v1/jobs', create({ name: NUL }).body, 'name'),
    invalid(
      'job name with an unpaired surrogate',
      'POST',
      '/api/v1/jobs',
      create({ name: LONE_HIGH }).body,
      'name',
    ),
    invalid(
      'handler with an unpaired low surrogate',
      'POST',
      '/api/v1/jobs',
      create({ handler: `h${LONE_LOW}` }).body,
      'handler',
    ),
    invalid('parameter with NUL', 'POST', '/api/v1/jobs', create({ param: NUL }).body, 'param'),
    invalid(
      'description with an unpaired surrogate',
      'POST',
      '/api/v1/jobs',
      create({ description: LONE_HIGH }).body,
      'description',
    ),
    invalid(
      'time zone with NUL',
      'POST',
      '/api/v1/jobs',
      create({ trigger: cron('0 * * * * ?', 'UTC\u0000') }).body,
      'trigger.timeZone',
    ),
    invalid('update of a name with NUL', 'PATCH', `/api/v1/jobs/${jobId}`, { name: NUL }, 'name'),
    invalid(
      'trigger parameter with an unpaired surrogate',
      'POST',
      `/api/v1/jobs/${jobId}/trigger`,
      { param: LONE_HIGH },
      'param',
    ),
    invalid('group name with NUL', 'POST', '/api/v1/groups', { name: NUL }, 'name'),
    invalid(
      'token name with an unpaired surrogate',
      'POST',
      `/api/v1/groups/${groupId}/tokens`,
      { name: LONE_HIGH },
      'name',
    ),
    invalid(
      'user name with NUL',
      'POST',
      '/api/v1/users',
      { username: 'nul\u0000user', password: 'long-enough-password' },
      'username',
    ),
    {
      name: 'query value with NUL',
      method: 'GET',
      path: `/api/v1/jobs?groupId=${encodeURIComponent(`101${NUL}`)}`,
      options: {},
      status: 400,
      code: 'CARILLON_INVALID_ARGUMENT',
      field: 'groupId',
    },
    {
      name: 'cron on 30 February',
      method: 'POST',
      path: '/api/v1/jobs',
      options: create({ trigger: cron('0 0 0 30 2 ?') }),
      status: 400,
      code: 'CARILLON_INVALID_CRON',
      field: 'trigger.cron',
      message: 'this expression never fires',
    },
    {
      name: 'cron in a year past 2199',
      method: 'POST',
      path: '/api/v1/jobs',
      options: create({ trigger: cron('0 0 0 1 1 ? 2300') }),
      status: 400,
      code: 'CARILLON_INVALID_CRON',
      field: 'trigger.cron',
      message: 'this expression never fires',
    },
    {
      name: 'cron in a year gone by',
      method: 'POST',
      path: '/api/v1/jobs',
      options: create({ trigger: cron('0 0 0 1 1 ? 2001') }),
      status: 400,
      code: 'CARILLON_INVALID_CRON',
      field: 'trigger.cron',
      message: 'this expression never fires',
    },
    {
      name: 'update to a cron that never fires',
      method: 'PATCH',
      path: `/api/v1/jobs/${jobId}`,
      options: { body: { trigger: cron('0 0 0 31 4 ?') } },
      status: 400,
      code: 'CARILLON_INVALID_CRON',
      field: 'trigger.cron',
      message: 'this expression never fires',
    },
  ];
}
