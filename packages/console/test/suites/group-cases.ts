import type { BadCase } from './bad-case.js';

/** Bad task group requests: names, backups, malformed ids, roles of members. */
export function groupCases(groupId: string): BadCase[] {
  return [
    {
      name: 'group with an empty name',
      method: 'POST',
      path: '/api/v1/groups',
      options: { body: { name: '' } },
      status: 400,
      code: 'CARILLON_INVALID_REQUEST',
      field: 'name',
    },
    {
      name: 'group with backups 0',
      method: 'POST',
      path: '/api/v1/groups',
      options: { body: { name: 'g', backups: 0 } },
      status: 400,
      code: 'CARILLON_INVALID_REQUEST',
      field: 'backups',
    },
    {
      name: 'group with backups as text',
      method: 'POST',
      path: '/api/v1/groups',
      options: { body: { name: 'g', backups: '2' } },
      status: 400,
      code: 'CARILLON_INVALID_REQUEST',
      field: 'backups',
    },
    {
      name: 'malformed group id in the path',
      method: 'GET',
      path: '/api/v1/groups/101-1-2',
      options: {},
      status: 400,
      code: 'CARILLON_INVALID_TASK_GROUP_ID',
    },
    {
      name: 'malformed group id in a member change',
      method: 'PUT',
      path: '/api/v1/groups/not-a-group/members/1',
      options: { body: { role: 'viewer' } },
      status: 400,
      code: 'CARILLON_INVALID_TASK_GROUP_ID',
    },
    {
      name: 'unknown role',
      method: 'PUT',
      path: `/api/v1/groups/${groupId}/members/1`,
      options: { body: { role: 'god' } },
      status: 400,
      code: 'CARILLON_INVALID_REQUEST',
      field: 'role',
    },
  ];
}
