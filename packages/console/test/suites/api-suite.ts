import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, Harness, START_MS } from '../harness.js';
import type { DatabaseFixture } from '../harness.js';
import { createGroup, createJob } from '../fixtures.js';

const SERVER_ID = /^s-/;

/** The console's features, end to end over HTTP, on the database `makeDb` gives. */
export function defineApiSuite(makeDb: () => Promise<DatabaseFixture>): void {
  describe('console API', () => {
    let h: Harness;
    let admin: string;
    let alice: { id: number; token: string };
    const changed: string[] = [];

    beforeAll(async () => {
      h = await Harness.start(await makeDb());
      h.coordinator.watchGroupChanges((groupId) => changed.push(groupId));
      admin = await h.login(ADMIN.username, ADMIN.password);
      alice = await h.user(admin, 'alice');
    });
    afterAll(async () => {
      await h?.close();
    });

    // The in-process coordinator delivers change notices on a microtask, like ZooKeeper watches.
    const notices = async (): Promise<string[]> => {
      await new Promise((resolve) => setImmediate(resolve));
      return changed.splice(0);
    };

    it('GET /healthz reports the database and the coordinator', async () => {
      const answer = await h.call('GET', '/healthz');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ status: 'ok', database: 'ok', coordinator: 'connected' });
    });

    describe('sign-in', () => {
      it('login returns a token that authenticates the user', async () => {
        const token = await h.login('alice', 'alice-password-1');
        expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
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
    });

    describe('task groups', () => {
      it('create gives a four-segment id; the creator becomes owner', async () => {
        const answer = await h.call('POST', '/api/v1/groups', {
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
        const [cluster, serverGroup, backups, number] = (answer.body.id as string)
          .split('-')
          .map(Number);
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

    describe('client tokens and discovery', () => {
      let groupId: string;
      let otherGroupId: string;
      let clientToken: string;

      beforeAll(async () => {
        groupId = await createGroup(h, alice.token, 'executors');
        otherGroupId = await createGroup(h, alice.token, 'other executors');
        const sg = Number(groupId.split('-')[1]);
        await h.coordinator.registerServer({
          serverId: 's-a',
          cluster: 101,
          serverGroup: sg,
          room: 'r1',
          rpcAddress: '127.0.0.1:7801',
        });
        await h.coordinator.registerServer({
          serverId: 's-b',
          cluster: 101,
          serverGroup: sg,
          room: 'r2',
          rpcAddress: '127.0.0.1:7802',
        });
        await h.coordinator.registerServer({
          serverId: 's-c',
          cluster: 101,
          serverGroup: 3 - sg,
          room: 'r1',
          rpcAddress: '127.0.0.1:7803',
        });
      });

      it('issues a client token that is stored only as a hash', async () => {
        const answer = await h.call('POST', `/api/v1/groups/${groupId}/tokens`, {
          token: alice.token,
          body: { name: 'worker fleet' },
        });
        expect(answer.status).toBe(201);
        expect(answer.body).toMatchObject({ groupId, name: 'worker fleet' });
        clientToken = answer.body.token as string;
        expect(clientToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
        const { hashTokenSecret } = await import('@carillon/core');
        const stored = await h.stores.users.findToken(hashTokenSecret(clientToken));
        expect(stored).toMatchObject({ kind: 'client', groupId, userId: null });
      });

      it("discovery lists the live servers of the group's ServerGroup", async () => {
        const answer = await h.call('GET', `/api/v1/discovery?group=${groupId}`, {
          token: clientToken,
        });
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({
          groupId,
          servers: [
            { serverId: 's-a', address: '127.0.0.1:7801', room: 'r1' },
            { serverId: 's-b', address: '127.0.0.1:7802', room: 'r2' },
          ],
        });
      });

      it('discovery refuses other groups, strangers and bad tokens', async () => {
        const other = await h.call('GET', `/api/v1/discovery?group=${otherGroupId}`, {
          token: clientToken,
        });
        expect(other.status).toBe(403);
        const stranger = await h.user(admin, 'stranger-d');
        const byStranger = await h.call('GET', `/api/v1/discovery?group=${groupId}`, {
          token: stranger.token,
        });
        expect(byStranger.status).toBe(403);
        expect(byStranger.body).toEqual(other.body);
        const bad = await h.call('GET', `/api/v1/discovery?group=${groupId}`, {
          token: 'B'.repeat(43),
        });
        expect(bad.status).toBe(401);
        const owner = await h.call('GET', `/api/v1/discovery?group=${groupId}`, {
          token: alice.token,
        });
        expect(owner.status).toBe(200);
      });

      it('a client token serves discovery only', async () => {
        const answer = await h.call('GET', `/api/v1/groups/${groupId}`, { token: clientToken });
        expect(answer.status).toBe(403);
        const jobs = await h.call('GET', `/api/v1/jobs?groupId=${groupId}`, { token: clientToken });
        expect(jobs.status).toBe(403);
      });

      it('a revoked client token no longer discovers', async () => {
        const issued = await h.call('POST', `/api/v1/groups/${groupId}/tokens`, {
          token: alice.token,
          body: {},
        });
        const token = issued.body.token as string;
        expect((await h.call('GET', `/api/v1/discovery?group=${groupId}`, { token })).status).toBe(
          200,
        );
        const revoked = await h.call('POST', `/api/v1/groups/${groupId}/tokens/revoke`, {
          token: alice.token,
          body: { token },
        });
        expect(revoked.status).toBe(204);
        expect((await h.call('GET', `/api/v1/discovery?group=${groupId}`, { token })).status).toBe(
          401,
        );
      });

      it('jobs get holders among the live servers, in different rooms', async () => {
        const job = await createJob(h, alice.token, groupId);
        expect([...(job.holders as string[])].sort()).toEqual(['s-a', 's-b']);
      });

      it('GET /servers and GET /clients show what the coordinator knows', async () => {
        const servers = await h.call('GET', '/api/v1/servers', { token: alice.token });
        expect(servers.status).toBe(200);
        const ids = (servers.body.items as Array<{ serverId: string; live: boolean }>)
          .filter((s) => SERVER_ID.test(s.serverId))
          .map((s) => [s.serverId, s.live]);
        expect(ids).toEqual([
          ['s-a', true],
          ['s-b', true],
          ['s-c', true],
        ]);
        await h.coordinator.registerClient({
          clientId: 'c-1',
          groupId,
          serverId: 's-a',
          handlers: ['simple-test'],
          room: 'r1',
        });
        const clients = await h.call('GET', `/api/v1/clients?groupId=${groupId}`, {
          token: alice.token,
        });
        expect(clients.status).toBe(200);
        expect(clients.body.items).toEqual([
          { clientId: 'c-1', groupId, serverId: 's-a', handlers: ['simple-test'], room: 'r1' },
        ]);
      });
    });

    describe('jobs', () => {
      let groupId: string;

      beforeAll(async () => {
        groupId = await createGroup(h, alice.token, 'jobs');
      });

      it('create applies the documented defaults and tells the servers', async () => {
        await notices();
        const answer = await h.call('POST', '/api/v1/jobs', {
          token: alice.token,
          body: {
            groupId,
            name: 'minimal',
            trigger: { type: 'cron', cron: '0/5 * * * * ?' },
            handler: 'h',
          },
        });
        expect(answer.status).toBe(201);
        expect(answer.body).toMatchObject({
          groupId,
          name: 'minimal',
          description: '',
          trigger: { type: 'cron', cron: '0/5 * * * * ?', timeZone: 'UTC' },
          handler: 'h',
          param: null,
          timeoutMs: 0,
          overlap: 'allow',
          misfire: 'fire_once',
          routing: 'least_loaded',
          kind: 'simple',
          maxRetries: 0,
          status: 'enabled',
          version: 1,
          createdAt: START_MS,
        });
        expect(await notices()).toContain(groupId);
      });

      it('get and list by group', async () => {
        const job = await createJob(h, alice.token, groupId, {
          name: 'listed',
          overlap: 'skip',
          enabled: false,
        });
        expect(job.status).toBe('disabled');
        const got = await h.call('GET', `/api/v1/jobs/${job.id}`, { token: alice.token });
        expect(got.status).toBe(200);
        expect(got.body).toEqual(job);
        const list = await h.call('GET', `/api/v1/jobs?groupId=${groupId}`, { token: alice.token });
        expect(list.status).toBe(200);
        expect((list.body.items as Array<{ id: number }>).map((j) => j.id)).toContain(job.id);
      });

      it('update is fenced by version', async () => {
        const job = await createJob(h, alice.token, groupId, { name: 'to change' });
        await notices();
        const changedJob = await h.call('PATCH', `/api/v1/jobs/${job.id}`, {
          token: alice.token,
          body: {
            version: job.version,
            name: 'changed',
            trigger: { type: 'cron', cron: '0 15 10 ? * MON-FRI', timeZone: 'Europe/Paris' },
            param: null,
            timeoutMs: 30_000,
          },
        });
        expect(changedJob.status).toBe(200);
        expect(changedJob.body).toMatchObject({
          name: 'changed',
          trigger: { type: 'cron', cron: '0 15 10 ? * MON-FRI', timeZone: 'Europe/Paris' },
          param: null,
          timeoutMs: 30_000,
          handler: job.handler,
          version: job.version + 1,
        });
        expect(await notices()).toContain(groupId);
        const stale = await h.call('PATCH', `/api/v1/jobs/${job.id}`, {
          token: alice.token,
          body: { version: job.version, name: 'lost update' },
        });
        expect(stale.status).toBe(409);
        expect(stale.body.error.code).toBe('CARILLON_CONFLICT');
        expect((await h.stores.jobs.get(job.id))?.name).toBe('changed');
      });

      it('enable and disable are idempotent; delete keeps the job as deleted', async () => {
        const job = await createJob(h, alice.token, groupId, { name: 'toggled' });
        const disabled = await h.call('POST', `/api/v1/jobs/${job.id}/disable`, {
          token: alice.token,
        });
        expect(disabled.status).toBe(200);
        expect(disabled.body).toMatchObject({ status: 'disabled', version: job.version + 1 });
        const again = await h.call('POST', `/api/v1/jobs/${job.id}/disable`, {
          token: alice.token,
        });
        expect(again.body).toMatchObject({ status: 'disabled', version: job.version + 1 });
        const enabled = await h.call('POST', `/api/v1/jobs/${job.id}/enable`, {
          token: alice.token,
        });
        expect(enabled.body).toMatchObject({ status: 'enabled', version: job.version + 2 });
        expect(
          (await h.call('DELETE', `/api/v1/jobs/${job.id}`, { token: alice.token })).status,
        ).toBe(204);
        const got = await h.call('GET', `/api/v1/jobs/${job.id}`, { token: alice.token });
        expect(got.body.status).toBe('deleted');
        const list = await h.call('GET', `/api/v1/jobs?groupId=${groupId}`, { token: alice.token });
        expect((list.body.items as Array<{ id: number }>).map((j) => j.id)).not.toContain(job.id);
        for (const [method, path] of [
          ['POST', `/api/v1/jobs/${job.id}/enable`],
          ['POST', `/api/v1/jobs/${job.id}/trigger`],
          ['DELETE', `/api/v1/jobs/${job.id}`],
        ] as const) {
          const answer = await h.call(method, path, { token: alice.token });
          expect(answer.status, `${method} ${path}`).toBe(409);
        }
        const patch = await h.call('PATCH', `/api/v1/jobs/${job.id}`, {
          token: alice.token,
          body: { name: 'x' },
        });
        expect(patch.status).toBe(409);
      });

      it("next lists fire instants from the cron engine, in the job's zone", async () => {
        const utc = await createJob(h, alice.token, groupId, { name: 'every minute' });
        const next = await h.call('GET', `/api/v1/jobs/${utc.id}/next?count=3`, {
          token: alice.token,
        });
        expect(next.status).toBe(200);
        expect(next.body.timeZone).toBe('UTC');
        expect(typeof next.body.description).toBe('string');
        expect(next.body.items).toEqual(
          ['2026-03-08T07:00:00.000Z', '2026-03-08T07:01:00.000Z', '2026-03-08T07:02:00.000Z'].map(
            (iso) => ({
              at: Date.parse(iso),
              iso,
            }),
          ),
        );
        // 08:00 in Paris is 07:00 UTC in March (before the change to summer time on the 29th).
        const paris = await createJob(h, alice.token, groupId, {
          name: 'paris morning',
          trigger: { type: 'cron', cron: '0 0 8 * * ?', timeZone: 'Europe/Paris' },
        });
        const parisNext = await h.call('GET', `/api/v1/jobs/${paris.id}/next?count=2`, {
          token: alice.token,
        });
        expect((parisNext.body.items as Array<{ iso: string }>).map((i) => i.iso)).toEqual([
          '2026-03-08T07:00:00.000Z',
          '2026-03-09T07:00:00.000Z',
        ]);
        const defaultCount = await h.call('GET', `/api/v1/jobs/${utc.id}/next`, {
          token: alice.token,
        });
        expect(defaultCount.body.items).toHaveLength(5);
        const api = await createJob(h, alice.token, groupId, {
          name: 'by api',
          trigger: { type: 'api' },
        });
        const none = await h.call('GET', `/api/v1/jobs/${api.id}/next`, { token: alice.token });
        expect(none.body).toEqual({ timeZone: null, description: null, items: [] });
      });

      it('previews a cron expression before it is saved', async () => {
        const answer = await h.call(
          'GET',
          `/api/v1/cron/next?cron=${encodeURIComponent('0 0 12 * * ?')}&count=1`,
          {
            token: alice.token,
          },
        );
        expect(answer.status).toBe(200);
        expect(answer.body.items).toEqual([
          { at: Date.parse('2026-03-08T12:00:00.000Z'), iso: '2026-03-08T12:00:00.000Z' },
        ]);
        const bad = await h.call(
          'GET',
          `/api/v1/cron/next?cron=${encodeURIComponent('0 0 25 * * ?')}`,
          {
            token: alice.token,
          },
        );
        expect(bad.status).toBe(400);
        expect(bad.body.error.code).toBe('CARILLON_INVALID_CRON');
      });
    });

    describe('trigger and executions', () => {
      let groupId: string;
      let apiJob: { id: number; param: string | null };

      beforeAll(async () => {
        groupId = await createGroup(h, alice.token, 'runs');
        apiJob = await createJob(h, alice.token, groupId, {
          name: 'by api',
          trigger: { type: 'api' },
          param: 'P0',
        });
      });

      it("trigger records a manual execution with the job's parameter or the one given", async () => {
        await notices();
        const first = await h.call('POST', `/api/v1/jobs/${apiJob.id}/trigger`, {
          token: alice.token,
        });
        expect(first.status).toBe(202);
        const id = first.body.executionId as string;
        expect(await notices()).toContain(groupId);
        const got = await h.call('GET', `/api/v1/executions/${id}`, { token: alice.token });
        expect(got.status).toBe(200);
        expect(got.body).toMatchObject({
          id,
          jobId: apiJob.id,
          groupId,
          cause: 'manual',
          state: 'claimed',
          attempt: 1,
          ownerServerId: null,
          param: 'P0',
          scheduledAt: h.clock.now(),
          clientId: null,
          startedAt: null,
          finishedAt: null,
          result: null,
        });
        const second = await h.call('POST', `/api/v1/jobs/${apiJob.id}/trigger`, {
          token: alice.token,
          body: { param: 'override' },
        });
        expect((await h.stores.executions.get(second.body.executionId as string))?.param).toBe(
          'override',
        );
      });

      it('a cron job can be triggered too; a disabled job cannot', async () => {
        const cron = await createJob(h, alice.token, groupId, { name: 'cron one' });
        expect(
          (await h.call('POST', `/api/v1/jobs/${cron.id}/trigger`, { token: alice.token })).status,
        ).toBe(202);
        await h.call('POST', `/api/v1/jobs/${cron.id}/disable`, { token: alice.token });
        const refused = await h.call('POST', `/api/v1/jobs/${cron.id}/trigger`, {
          token: alice.token,
        });
        expect(refused.status).toBe(409);
        expect(refused.body.error.message).toContain('disabled');
      });

      it('lists executions newest first, in pages, filtered by job, group and state', async () => {
        const job = await createJob(h, alice.token, groupId, {
          name: 'paged',
          trigger: { type: 'api' },
        });
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          h.clock.advance(1000);
          const answer = await h.call('POST', `/api/v1/jobs/${job.id}/trigger`, {
            token: alice.token,
          });
          ids.push(answer.body.executionId as string);
        }
        const seen: string[] = [];
        let cursor: string | null = null;
        const sizes: number[] = [];
        do {
          const query: string = `/api/v1/executions?jobId=${job.id}&limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
          const page = await h.call('GET', query, { token: alice.token });
          expect(page.status).toBe(200);
          sizes.push(page.body.items.length as number);
          for (const item of page.body.items as Array<{ id: string; jobId: number }>) {
            expect(item.jobId).toBe(job.id);
            seen.push(item.id);
          }
          cursor = page.body.nextCursor as string | null;
        } while (cursor !== null && sizes.length < 10);
        expect(seen).toEqual([...ids].reverse());
        expect(sizes.slice(0, 2)).toEqual([2, 2]);

        const claimed = await h.call('GET', `/api/v1/executions?jobId=${job.id}&state=claimed`, {
          token: alice.token,
        });
        expect(claimed.body.items).toHaveLength(5);
        const finished = await h.call(
          'GET',
          `/api/v1/executions?jobId=${job.id}&state=succeeded,failed`,
          {
            token: alice.token,
          },
        );
        expect(finished.body).toEqual({ items: [], nextCursor: null });
        const byGroup = await h.call('GET', `/api/v1/executions?groupId=${groupId}&limit=500`, {
          token: alice.token,
        });
        const groupIds = (byGroup.body.items as Array<{ id: string; groupId: string }>).map(
          (e) => e.id,
        );
        for (const id of ids) expect(groupIds).toContain(id);
        expect(
          (byGroup.body.items as Array<{ groupId: string }>).every((e) => e.groupId === groupId),
        ).toBe(true);
      });

      it('cancel marks an unfinished execution; a finished one gets 409', async () => {
        const job = await createJob(h, alice.token, groupId, {
          name: 'cancelled',
          trigger: { type: 'api' },
        });
        const a = await h.call('POST', `/api/v1/jobs/${job.id}/trigger`, { token: alice.token });
        await notices();
        const cancel = await h.call('POST', `/api/v1/executions/${a.body.executionId}/cancel`, {
          token: alice.token,
        });
        expect(cancel.status).toBe(202);
        expect(cancel.body.cancelRequestedAt).toBe(h.clock.now());
        expect(await notices()).toContain(groupId);

        // A server takes the second fire and runs it to success through the real store.
        const b = await h.call('POST', `/api/v1/jobs/${job.id}/trigger`, { token: alice.token });
        const taken = await h.stores.executions.takeUnowned('s-x', [job.id]);
        const mine = taken.find((e) => e.id === b.body.executionId);
        expect(mine).toBeDefined();
        const fence = { id: mine?.id ?? '', ownerServerId: 's-x', attempt: 1 };
        const now = h.clock.now();
        expect(
          await h.stores.executions.transition({ ...fence, from: ['claimed'] }, 'dispatched', {
            clientId: 'c-9',
            dispatchedAt: now,
          }),
        ).toBe(true);
        expect(
          await h.stores.executions.transition({ ...fence, from: ['dispatched'] }, 'running', {
            startedAt: now,
          }),
        ).toBe(true);
        expect(
          await h.stores.executions.transition({ ...fence, from: ['running'] }, 'succeeded', {
            finishedAt: now,
            result: 'done',
          }),
        ).toBe(true);
        const done = await h.call('GET', `/api/v1/executions/${fence.id}`, { token: alice.token });
        expect(done.body).toMatchObject({
          state: 'succeeded',
          clientId: 'c-9',
          startedAt: now,
          finishedAt: now,
          result: 'done',
          ownerServerId: 's-x',
        });
        const late = await h.call('POST', `/api/v1/executions/${fence.id}/cancel`, {
          token: alice.token,
        });
        expect(late.status).toBe(409);
      });

      it('reads logs in order after a sequence number', async () => {
        const answer = await h.call('POST', `/api/v1/jobs/${apiJob.id}/trigger`, {
          token: alice.token,
        });
        const executionId = answer.body.executionId as string;
        await h.stores.executions.appendLogs(
          ['one', 'two', 'three'].map((message, i) => ({
            executionId,
            at: START_MS + i,
            level: 'info' as const,
            message,
          })),
        );
        const all = await h.call('GET', `/api/v1/executions/${executionId}/logs`, {
          token: alice.token,
        });
        expect(all.status).toBe(200);
        expect((all.body.items as Array<{ message: string }>).map((l) => l.message)).toEqual([
          'one',
          'two',
          'three',
        ]);
        const firstSeq = all.body.items[0].seq as number;
        const after = await h.call(
          'GET',
          `/api/v1/executions/${executionId}/logs?afterSeq=${firstSeq}`,
          {
            token: alice.token,
          },
        );
        expect((after.body.items as Array<{ message: string }>).map((l) => l.message)).toEqual([
          'two',
          'three',
        ]);
      });

      it('admins list executions of every group; others must name a job or group', async () => {
        const all = await h.call('GET', '/api/v1/executions?limit=1', { token: admin });
        expect(all.status).toBe(200);
        expect(all.body.items).toHaveLength(1);
        const refused = await h.call('GET', '/api/v1/executions', { token: alice.token });
        expect(refused.status).toBe(400);
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
        const fire = await h.call('POST', `/api/v1/jobs/${job.id}/trigger`, { token: alice.token });
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
