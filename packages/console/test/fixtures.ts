import { expect } from 'vitest';
import type { Job } from '@carillon/core';
import { ADMIN } from './harness.js';
import type { Harness } from './harness.js';

/** Creates a task group as `token`'s user and returns its id. */
export async function createGroup(
  h: Harness,
  token: string,
  name = 'payments',
  backups?: number,
): Promise<string> {
  const answer = await h.call<{ id: string }>('POST', '/api/v1/groups', {
    token,
    body: backups === undefined ? { name } : { name, backups },
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body.id;
}

/** A valid job body for `groupId`, with `overrides`. */
export function jobBody(
  groupId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    groupId,
    name: 'simple task test',
    description: 'the seed job',
    trigger: { type: 'cron', cron: '0 0/1 * * * ?', timeZone: 'UTC' },
    handler: 'simple-test',
    param: 'TestParam',
    ...overrides,
  };
}

/** Creates a job and returns it as the API answered. */
export async function createJob(
  h: Harness,
  token: string,
  groupId: string,
  overrides: Record<string, unknown> = {},
): Promise<Job> {
  const answer = await h.call<Job>('POST', '/api/v1/jobs', {
    token,
    body: jobBody(groupId, overrides),
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body;
}

/** Grants `role` on `groupId` to `userId`, as `token`'s user (an owner or admin). */
export async function grant(
  h: Harness,
  token: string,
  groupId: string,
  userId: number,
  role: string,
): Promise<void> {
  const answer = await h.call('PUT', `/api/v1/groups/${groupId}/members/${userId}`, {
    token,
    body: { role },
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
}

/** The admin's token and the user alice, signed in on a harness by {@link signIn}. */
export interface SignedIn {
  readonly admin: string;
  readonly alice: { id: number; token: string };
}

/** Signs the admin in and creates the user alice (no rights on any group yet). */
export async function signIn(h: Harness): Promise<SignedIn> {
  const admin = await h.login(ADMIN.username, ADMIN.password);
  return { admin, alice: await h.user(admin, 'alice') };
}

/**
 * Collects the task group change notices of `h`'s coordinator. The function returned waits
 * for notices in flight (the in-process coordinator delivers them on a microtask, like
 * ZooKeeper watches) and returns the ids noticed since its last call.
 */
export function watchGroupNotices(h: Harness): () => Promise<string[]> {
  const changed: string[] = [];
  h.coordinator.watchGroupChanges((groupId) => changed.push(groupId));
  return async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return changed.splice(0);
  };
}
