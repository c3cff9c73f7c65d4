import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskGroup } from '@carillon/core';
import { ensureAdmin } from '../../src/index.js';
import { Harness } from '../harness.js';
import type { DatabaseFixture } from '../harness.js';
import { createGroup, createJob, signIn } from '../fixtures.js';

type Fired = { executionId: string };

/** Health, sign-in, task groups and the audit trail, over HTTP on the database `makeDb` gives. */
export function defineAccountSuite(makeDb: () => Promise<DatabaseFixture>): void {
  describe('accounts, task groups and audit', () => {
    let h: Harness;
    let admin: string;
    let alice: { id: number; token: string };

    beforeAll(async () => {
      h = await Harness.start(await makeDb());
      ({ admin, alice } = await signIn(h));
    });
    afterAll(async () => {
      await h?.close();
    });

    it('GET /healthz reports the database and the coordinator', async () => {
      const answer = await h.call('GET', '/healthz');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ status: 'ok', database: 'ok', coordinator: 'connected' });
    });

    describe('sign-in', () => {
      it('login returns a token that authenticates the user', async () => {
        const token = await h.login('alice', 'alice-password-1');
        expect(token).toMatch(/^s\.[A-Za-z0-9_-]{43}$/);
        const me = await h.call('GET', '/api/v1/me', { token });
        expect(me.status).toBe(200);
        expect(me.body.user).toMatchObject({ id: alice.id, username: 'alice', isAdmin: false });
        expect(me.body.user).not.toHaveProperty('passwordHash');
      });

      it('a wrong password and an unknown user get the same 401', async () => {
        const wrong = await h.call('POST', '/api/v1/auth/login', {
          body: { username: 'alice', password: 'not-her-password' },
        });
        const unknown = await h.call('POST', '/api/v1/auth/login', {
          body: { username: 'nobody', password: 'not-her-password' },
        });
        expect(wrong.status).toBe(401);
        expect(wrong.body.error.code).toBe('CARILLON_UNAUTHENTICATED');
        expect(unknown.status).toBe(401);
        expect(unknown.body).toEqual(wrong.body);
      });

      it('missing, malformed, unknown and revoked tokens get 401', async () => {
        const cases = [
          {},
          { authorization: 'Basic YWxpY2U6cHc=' },
          { authorization: 'Bearer' },
          { authorization: 'Bearer not a token' },
          { token: 'A'.repeat(43) },
        ];
        for (const options of cases) {
          const answer = await h.call('GET', '/api/v1/groups', options);
          expect(answer.status, JSON.stringify(options)).toBe(401);
          expect(answer.body.error.code).toBe('CARILLON_UNAUTHENTICATED');
        }
        const token = await h.login('alice', 'alice-password-1');
        expect((await h.call('POST', '/api/v1/auth/logout', { token })).status).toBe(204);
        const after = await h.call('GET', '/api/v1/groups', { token });
        expect(after.status).toBe(401);
      });

      it('passwords are stored as scrypt hashes', async () => {
        const found = await h.stores.users.findForLogin('alice');
        expect(found?.passwordHash).toMatch(
          /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/,
        );
      });

      it('ensureAdmin bootstraps an admin once, and never without a password', async () => {
        for (const password of ['', 'short', undefined as unknown as string]) {
          await expect(
            ensureAdmin(h.stores, 'root', password, { clock: h.clock }),
          ).rejects.toMatchObject({
            code: 'CARILLON_INVALID_ARGUMENT',
          });
        }
        expect(await h.stores.users.findForLogin('root')).toBeUndefined();
        const first = await ensureAdmin(h.stores, 'root', 'root-password-1', { clock: h.clock });
        expect(first).toMatchObject({
          created: true,
          passwordReset: false,
          user: { username: 'root', isAdmin: true },
        });
        const again = await ensureAdmin(h.stores, 'root', 'other-password', { clock: h.clock });
        expect(again).toMatchObject({
          created: false,
          passwordReset: false,
          user: { id: first.user.id },
        });
        await h.login('root', 'root-password-1');
        const reset = await ensureAdmin(h.stores, 'root', 'other-password', {
          clock: h.clock,
          resetPassword: true,
        });
        expect(reset.passwordReset).toBe(true);
        await h.login('root', 'other-password');
        await expect(ensureAdmin(h.stores, 'alice', 'alice-password-9')).rejects.toMatchObject({
          code: 'CARILLON_CONFLICT',
        });
      });

      it('ensureAdmin from several consoles starting at once: one creates, none fails', async () => {
        // As an init system starts two consoles on a fresh database: all find no admin, all
        // try to create it, and the losers of the insert must not stop their console.
        const results = await Promise.all(
          ['one', 'two', 'three', 'four'].map((who) =>
            ensureAdmin(h.stores, 'together', `password-of-${who}`, { clock: h.clock }),
          ),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.user.id)).size).toBe(1);
        expect(results.every((r) => r.user.isAdmin && !r.passwordReset)).toBe(true);
      });
    });

    describe('task groups', () => {
      it('create gives a four-segment id; the creator becomes owner', async () => {
        const answer = await h.call<TaskGroup & { role: string }>('POST', '/api/v1/groups', {
          token: alice.token,
          body: { name: 'billing' },
        });
        expect(answer.status).toBe(201);
        expect(answer.body.id).toMatch(/^101-[12]-2-[1-9][0-9]*$/);
        expect(answer.body).toMatchObject({
          cluster: 101,
          backups: 2,
          name: 'billing',
          role: 'owner',
        });
        const [cluster, serverGroup, backups, number] = answer.body.id.split('-').map(Number);
        expect({ cluster, serverGroup, backups, number }).toEqual({
          cluster: answer.body.cluster,
          serverGroup: answer.body.serverGroup,
          backups: answer.body.backups,
          number: answer.body.number,
        });
        const got = await h.call('GET', `/api/v1/groups/${answer.body.id}`, { token: alice.token });
        expect(got.status).toBe(200);
        expect(got.body).toEqual(answer.body);
        expect(await h.stores.groups.roleOf(answer.body.id, alice.id)).toBe('owner');
      });

      it('takes backups from the request', async () => {
        const id = await createGroup(h, alice.token, 'three copies', 3);
        expect(id).toMatch(/^101-[12]-3-\d+$/);
      });

      it('spreads new groups over the configured ServerGroups', async () => {
        for (let i = 0; i < 4; i++) await createGroup(h, alice.token, `spread ${i}`);
        const groups = await h.stores.groups.list();
        const per = (sg: number) => groups.filter((g) => g.serverGroup === sg).length;
        expect(per(1) + per(2)).toBe(groups.length);
        expect(Math.abs(per(1) - per(2))).toBeLessThanOrEqual(1);
      });

      it('places a new group on the ServerGroup with the most live servers per group', async () => {
        const server = (id: string, serverGroup: number) => ({
          serverId: id,
          cluster: 101,
          serverGroup,
          room: 'r1',
          rpcAddress: '127.0.0.1:1',
        });
        await h.coordinator.registerServer(server('room-a', 2));
        await h.coordinator.registerServer(server('room-b', 2));
        await h.coordinator.registerServer(server('room-c', 2));
        const groups = await h.stores.groups.list();
        const per = (sg: number) => groups.filter((g) => g.serverGroup === sg).length;
        // Three live servers against none: ServerGroup 2 has room, ServerGroup 1 has none.
        const id = await createGroup(h, alice.token, `roomy ${per(1)}-${per(2)}`);
        expect(id).toMatch(/^101-2-/);
      });

      it('delete is refused while jobs belong to the group, deleted ones too', async () => {
        const id = await createGroup(h, alice.token, 'long-lived');
        const job = await createJob(h, alice.token, id);
        const refused = await h.call('DELETE', `/api/v1/groups/${id}`, { token: alice.token });
        expect(refused.status).toBe(409);
        expect(refused.body.error.code).toBe('CARILLON_CONFLICT');
        expect(refused.body.error.message).toContain('job');
        expect(
          (await h.call('DELETE', `/api/v1/jobs/${job.id}`, { token: alice.token })).status,
        ).toBe(204);
        // A deleted job keeps its executions' history, and with it its group.
        const still = await h.call('DELETE', `/api/v1/groups/${id}`, { token: alice.token });
        expect(still.status).toBe(409);
        expect(await h.stores.groups.get(id)).toBeDefined();
      });

      it('delete removes a group without jobs', async () => {
        const id = await createGroup(h, alice.token, 'short-lived');
        expect(
          (await h.call('DELETE', `/api/v1/groups/${id}`, { token: alice.token })).status,
        ).toBe(204);
        expect(await h.stores.groups.get(id)).toBeUndefined();
        const admins = await h.call('GET', `/api/v1/groups/${id}`, { token: admin });
        expect(admins.status).toBe(404);
        const owners = await h.call('GET', `/api/v1/groups/${id}`, { token: alice.token });
        expect(owners.status).toBe(403);
      });
    });

    describe('audit', () => {
      it('every change lands in the audit table, with actor, action and target', async () => {
        const groupId = await createGroup(h, alice.token, 'audited');
        const job = await createJob(h, alice.token, groupId, { name: 'audited job' });
        await h.call('PATCH', `/api/v1/jobs/${job.id}`, {
          token: alice.token,
          body: { description: 'new' },
        });
        await h.call('POST', `/api/v1/jobs/${job.id}/disable`, { token: alice.token });
        await h.call('POST', `/api/v1/jobs/${job.id}/enable`, { token: alice.token });
        const fire = await h.call<Fired>('POST', `/api/v1/jobs/${job.id}/trigger`, {
          token: alice.token,
        });
        await h.call('POST', `/api/v1/executions/${fire.body.executionId}/cancel`, {
          token: alice.token,
        });
        await h.call('POST', `/api/v1/groups/${groupId}/tokens`, {
          token: alice.token,
          body: { name: 't' },
        });
        const bob = await h.user(admin, 'auditee');
        await h.call('PUT', `/api/v1/groups/${groupId}/members/${bob.id}`, {
          token: alice.token,
          body: { role: 'viewer' },
        });
        await h.call('DELETE', `/api/v1/groups/${groupId}/members/${bob.id}`, {
          token: alice.token,
        });
        await h.call('DELETE', `/api/v1/jobs/${job.id}`, { token: alice.token });
        const emptyGroupId = await createGroup(h, alice.token, 'audited, empty');
        await h.call('DELETE', `/api/v1/groups/${emptyGroupId}`, { token: alice.token });

        const answer = await h.call('GET', '/api/v1/audit?limit=500', { token: admin });
        expect(answer.status).toBe(200);
        const rows = answer.body.items as Array<{
          actor: string;
          action: string;
          target: string;
          detail: string | null;
        }>;
        const of = (target: string) =>
          rows
            .filter((r) => r.target === target)
            .map((r) => r.action)
            .reverse();
        expect(of(`job:${job.id}`)).toEqual([
          'job:create',
          'job:update',
          'job:disable',
          'job:enable',
          'job:trigger',
          'job:delete',
        ]);
        expect(of(`group:${groupId}`)).toEqual([
          'group:create',
          'token:create',
          'member:set',
          'member:remove',
        ]);
        expect(of(`group:${emptyGroupId}`)).toEqual(['group:create', 'group:delete']);
        expect(of(`execution:${fire.body.executionId}`)).toEqual(['execution:cancel']);
        expect(rows.find((r) => r.target === `job:${job.id}`)?.actor).toBe('user:alice');
        expect(rows.some((r) => r.action === 'user:create' && r.actor === 'user:admin')).toBe(true);
        expect(rows.some((r) => r.action === 'auth:login' && r.target === `user:${alice.id}`)).toBe(
          true,
        );
        const create = rows.find((r) => r.action === 'job:create' && r.target === `job:${job.id}`);
        expect(JSON.parse(create?.detail ?? 'null')).toMatchObject({
          groupId,
          name: 'audited job',
        });
        const forbidden = await h.call('GET', '/api/v1/audit', { token: alice.token });
        expect(forbidden.status).toBe(403);
      });
    });

    it('GET /healthz answers 503 when the coordinator session is gone', async () => {
      await h.coordinator.stop();
      try {
        const answer = await h.call('GET', '/healthz');
        expect(answer.status).toBe(503);
        expect(answer.body).toEqual({
          status: 'unavailable',
          database: 'ok',
          coordinator: 'stopped',
        });
      } finally {
        await h.coordinator.start();
      }
    });
  });
}
