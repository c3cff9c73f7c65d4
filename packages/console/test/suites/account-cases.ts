import type { BadCase } from './bad-case.js';

/** Bad user and sign-in requests. */
export function accountCases(): BadCase[] {
  return [
    {
      name: 'user with a short password',
      method: 'POST',
      path: '/api/v1/users',
      options: { body: { username: 'shorty', password: 'short' } },
      status: 400,
      code: 'CARILLON_INVALID_REQUEST',
      field: 'password',
    },
    {
      name: 'login without a password',
      method: 'POST',
      path: '/api/v1/auth/login',
      options: { body: { username: 'editor' } },
      status: 400,
      code: 'CARILLON_INVALID_REQUEST',
      field: 'password',
    },
  ];
}
