import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '@carillon/core';
import { ADMIN, Harness } from '../harness.js';
import type { DatabaseFixture } from '../harness.js';
import { createGroup, createJob, grant, jobBody } from '../fixtures.js';

type User = { id: number; token: string };

/** Rights: owner ⊇ editor ⊇ viewer plus admin; strangers learn nothing. */
export function definePermissionSuite(makeDb: () => Promise<DatabaseFixture>): void {
  describe('permissions', () => {
    let h: Harness;
    let admin: string;
    let owner: User;
    let editor: User;
    let viewer: User;
    let stranger: User;
    let groupId: string;
    let jobId: number;
    let executionId: string;

    beforeAll(async () => {
      h = await Harness.start(await makeDb());
      admin = await h.login(ADMIN.username, ADMIN.password);
      owner = await h.user(admin, 'owner');
      editor = await h.user(admin, 'editor');
      viewer = await h.user(admin, 'viewer');
      stranger = await h.user(admin, 'stranger');
      groupId = await createGroup(h, owner.token, 'guarded');
      await grant(h, owner.token, groupId, editor.id, 'editor');
      await grant(h, owner.token, groupId, viewer.id, 'viewer');
      // The stranger owns a group of its own: having roles elsewhere must not help.
      await createGroup(h, stranger.token, 'elsewhere');
      jobId = (await createJob(h, owner.token, groupId, { trigger: { type: 'api' } })).id;
      const fired = await h.call('POST', `/api/v1/jobs/${jobId}/trigger`, { token: owner.token });
      executionId = fired.body.executionId as string;
    });
    afterAll(async () => {
      await h?.close();
    });

    it('viewers read but cannot create, change, trigger or cancel', async () => {
      for (const path of [
        `/api/v1/groups/${groupId}`,
        `/api/v1/groups/${groupId}/members`,
        `/api/v1/jobs?groupId=${groupId}`,
        `/api/v1/jobs/${jobId}`,
        `/api/v1/jobs/${jobId}/next`,
        `/api/v1/executions?jobId=${jobId}`,
        `/api/v1/executions?groupId=${groupId}`,
        `/api/v1/executions/${executionId}`,
        `/api/v1/executions/${executionId}/logs`,
        `/api/v1/executions/${executionId}/subtasks`,
        `/api/v1/clients?groupId=${groupId}`,
      ]) {
        const answer = await h.call('GET', path, { token: viewer.token });
        expect(answer.status, path).toBe(200);
      }
      const before = await h.snapshot([groupId]);
      for (const [method, path, body] of [
        ['POST', '/api/v1/jobs', jobBody(groupId)],
        ['PATCH', `/api/v1/jobs/${jobId}`, { name: 'mine now' }],
        ['POST', `/api/v1/jobs/${jobId}/trigger`, undefined],
        ['POST', `/api/v1/jobs/${jobId}/disable`, undefined],
        ['DELETE', `/api/v1/jobs/${jobId}`, undefined],
        ['POST', `/api/v1/executions/${executionId}/cancel`, undefined],
        ['POST', `/api/v1/groups/${groupId}/tokens`, {}],
        ['PUT', `/api/v1/groups/${groupId}/members/${viewer.id}`, { role: 'owner' }],
        ['DELETE', `/api/v1/groups/${groupId}`, undefined],
      ] as const) {
        const answer = await h.call(method, path, { token: viewer.token, body });
        expect(answer.status, `${method} ${path}`).toBe(403);
        expect(answer.body.error.code).toBe('CARILLON_FORBIDDEN');
      }
      expect(await h.snapshot([groupId])).toEqual(before);
    });

    it('editors change jobs and trigger, but do not manage members or delete the group', async () => {
      const created = await h.call<Job>('POST', '/api/v1/jobs', {
        token: editor.token,
        body: jobBody(groupId, { name: 'by editor' }),
      });
      expect(created.status).toBe(201);
      const fired = await h.call('POST', `/api/v1/jobs/${created.body.id}/trigger`, {
        token: editor.token,
      });
      expect(fired.status).toBe(202);
      const patched = await h.call('PATCH', `/api/v1/jobs/${created.body.id}`, {
        token: editor.token,
        body: { name: 'renamed' },
      });
      expect(patched.status).toBe(200);
      const token = await h.call('POST', `/api/v1/groups/${groupId}/tokens`, {
        token: editor.token,
        body: {},
      });
      expect(token.status).toBe(201);
      const members = await h.call('PUT', `/api/v1/groups/${groupId}/members/${stranger.id}`, {
        token: editor.token,
        body: { role: 'viewer' },
      });
      expect(members.status).toBe(403);
      expect(members.body.error.message).toContain('owner');
      expect(
        (await h.call('DELETE', `/api/v1/groups/${groupId}`, { token: editor.token })).status,
      ).toBe(403);
    });

    it('a stranger gets the same 403 for what exists and what does not, and nothing changes', async () => {
      const missingGroup = '101-1-2-999999';
      const pairs: Array<[string, string, string, unknown]> = [
        ['GET', `/api/v1/groups/${groupId}`, `/api/v1/groups/${missingGroup}`, undefined],
        [
          'GET',
          `/api/v1/groups/${groupId}/members`,
          `/api/v1/groups/${missingGroup}/members`,
          undefined,
        ],
        ['DELETE', `/api/v1/groups/${groupId}`, `/api/v1/groups/${missingGroup}`, undefined],
        ['POST', `/api/v1/groups/${groupId}/tokens`, `/api/v1/groups/${missingGroup}/tokens`, {}],
        [
          'GET',
          `/api/v1/jobs?groupId=${groupId}`,
          `/api/v1/jobs?groupId=${missingGroup}`,
          undefined,
        ],
        ['GET', `/api/v1/jobs/${jobId}`, '/api/v1/jobs/999999', undefined],
        ['GET', `/api/v1/jobs/${jobId}/next`, '/api/v1/jobs/999999/next', undefined],
        ['PATCH', `/api/v1/jobs/${jobId}`, '/api/v1/jobs/999999', { name: 'x' }],
        ['POST', `/api/v1/jobs/${jobId}/trigger`, '/api/v1/jobs/999999/trigger', undefined],
        ['POST', `/api/v1/jobs/${jobId}/enable`, '/api/v1/jobs/999999/enable', undefined],
        ['DELETE', `/api/v1/jobs/${jobId}`, '/api/v1/jobs/999999', undefined],
        ['GET', `/api/v1/executions?jobId=${jobId}`, '/api/v1/executions?jobId=999999', undefined],
        [
          'GET',
          `/api/v1/executions?groupId=${groupId}`,
          `/api/v1/executions?groupId=${missingGroup}`,
          undefined,
        ],
        [
          'GET',
          `/api/v1/executions/${executionId}`,
          `/api/v1/executions/${randomUUID()}`,
          undefined,
        ],
        [
          'GET',
          `/api/v1/executions/${executionId}/logs`,
          `/api/v1/executions/${randomUUID()}/logs`,
          undefined,
        ],
        [
          'GET',
          `/api/v1/executions/${executionId}/subtasks`,
          `/api/v1/executions/${randomUUID()}/subtasks`,
          undefined,
        ],
        [
          'POST',
          `/api/v1/executions/${executionId}/cancel`,
          `/api/v1/executions/${randomUUID()}/cancel`,
          undefined,
        ],
        [
          'GET',
          `/api/v1/clients?groupId=${groupId}`,
          `/api/v1/clients?groupId=${missingGroup}`,
          undefined,
        ],
        [
          'GET',
          `/api/v1/discovery?groupId=${groupId}`,
          `/api/v1/discovery?groupId=${missingGroup}`,
          undefined,
        ],
      ];
      const before = await h.snapshot([groupId]);
      for (const [method, existing, missing, body] of pairs) {
        const a = await h.call(method, existing, { token: stranger.token, body });
        const b = await h.call(method, missing, { token: stranger.token, body });
        expect(a.status, `${method} ${existing}`).toBe(403);
        expect(b.status, `${method} ${missing}`).toBe(403);
        expect(a.body, `${method} ${existing} vs ${missing}`).toEqual(b.body);
      }
      const create = await h.call('POST', '/api/v1/jobs', {
        token: stranger.token,
        body: jobBody(groupId),
      });
      const createMissing = await h.call('POST', '/api/v1/jobs', {
        token: stranger.token,
        body: jobBody(missingGroup),
      });
      expect(create.status).toBe(403);
      expect(create.body).toEqual(createMissing.body);
      expect(await h.snapshot([groupId])).toEqual(before);
      const list = await h.call('GET', '/api/v1/groups', { token: stranger.token });
      expect((list.body.items as Array<{ id: string }>).map((g) => g.id)).not.toContain(groupId);
    });

    it('admins see every group and get 404 for what does not exist', async () => {
      const list = await h.call('GET', '/api/v1/groups', { token: admin });
      const ids = (list.body.items as Array<{ id: string }>).map((g) => g.id);
      expect(ids).toContain(groupId);
      expect(ids.length).toBeGreaterThanOrEqual(2);
      expect((await h.call('GET', `/api/v1/jobs/${jobId}`, { token: admin })).status).toBe(200);
      expect(
        (await h.call('GET', `/api/v1/executions/${executionId}`, { token: admin })).status,
      ).toBe(200);
      for (const path of [
        '/api/v1/jobs/999999',
        '/api/v1/groups/101-1-2-999999',
        `/api/v1/executions/${randomUUID()}`,
      ]) {
        const answer = await h.call('GET', path, { token: admin });
        expect(answer.status, path).toBe(404);
        expect(answer.body.error.code).toBe('CARILLON_NOT_FOUND');
      }
      const fired = await h.call('POST', `/api/v1/jobs/${jobId}/trigger`, { token: admin });
      expect(fired.status).toBe(202);
    });

    it("group lists show the caller's groups with its role", async () => {
      const mine = await h.call('GET', '/api/v1/groups', { token: viewer.token });
      expect(mine.body.items).toEqual([expect.objectContaining({ id: groupId, role: 'viewer' })]);
    });

    it('owners manage members, and the last owner cannot step down', async () => {
      const listed = await h.call('GET', `/api/v1/groups/${groupId}/members`, {
        token: owner.token,
      });
      expect(listed.body.items).toEqual(
        expect.arrayContaining([
          { userId: owner.id, username: 'owner', role: 'owner' },
          { userId: editor.id, username: 'editor', role: 'editor' },
          { userId: viewer.id, username: 'viewer', role: 'viewer' },
        ]),
      );
      const stepDown = await h.call('PUT', `/api/v1/groups/${groupId}/members/${owner.id}`, {
        token: owner.token,
        body: { role: 'viewer' },
      });
      expect(stepDown.status).toBe(409);
      const leave = await h.call('DELETE', `/api/v1/groups/${groupId}/members/${owner.id}`, {
        token: owner.token,
      });
      expect(leave.status).toBe(409);
      expect(await h.stores.groups.roleOf(groupId, owner.id)).toBe('owner');
      await grant(h, owner.token, groupId, viewer.id, 'editor');
      expect(await h.stores.groups.roleOf(groupId, viewer.id)).toBe('editor');
      const missingUser = await h.call('PUT', `/api/v1/groups/${groupId}/members/999999`, {
        token: owner.token,
        body: { role: 'viewer' },
      });
      expect(missingUser.status).toBe(404);
    });

    it('only admins create and list users', async () => {
      const create = await h.call('POST', '/api/v1/users', {
        token: owner.token,
        body: { username: 'mallory', password: 'mallory-password' },
      });
      expect(create.status).toBe(403);
      expect((await h.call('GET', '/api/v1/users', { token: owner.token })).status).toBe(403);
      const list = await h.call('GET', '/api/v1/users', { token: admin });
      expect((list.body.items as Array<{ username: string }>).map((u) => u.username)).toEqual(
        expect.arrayContaining(['admin', 'owner', 'editor', 'viewer', 'stranger']),
      );
      expect(list.body.items[0]).not.toHaveProperty('passwordHash');
      const taken = await h.call('POST', '/api/v1/users', {
        token: admin,
        body: { username: 'owner', password: 'another-password' },
      });
      expect(taken.status).toBe(409);
    });
  });
}
