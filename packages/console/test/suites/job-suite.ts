import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, START_MS } from '../harness.js';
import type { DatabaseFixture } from '../harness.js';
import { createGroup, createJob, signIn, watchGroupNotices } from '../fixtures.js';

/** Job create, read, update, enable, disable, delete and next fire instants. */
export function defineJobSuite(makeDb: () => Promise<DatabaseFixture>): void {
  describe('jobs', () => {
    let h: Harness;
    let admin: string;
    let alice: { id: number; token: string };
    let notices: () => Promise<string[]>;

    beforeAll(async () => {
      h = await Harness.start(await makeDb());
      notices = watchGroupNotices(h);
      ({ admin, alice } = await signIn(h));
    });
    afterAll(async () => {
      await h?.close();
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
          routeLabels: [],
          routeRoom: null,
          retryBackoff: 'exponential',
          retryDelayMs: 1_000,
          retryMaxDelayMs: 86_400_000,
          retryJitter: 0,
          subtaskMaxRetries: 0,
          subtaskRetryBackoff: 'exponential',
          subtaskRetryDelayMs: 1_000,
          subtaskRetryMaxDelayMs: 86_400_000,
          subtaskRetryJitter: 0,
          status: 'enabled',
          version: 1,
          createdAt: START_MS,
        });
        expect(await notices()).toContain(groupId);
      });

      it('stores routing pins and retry settings, and updates them', async () => {
        const settings = {
          routing: 'consistent_hash',
          routeLabels: ['gpu', 'zone=eu-1'],
          routeRoom: 'r2',
          retryBackoff: 'fixed',
          retryDelayMs: 300,
          retryMaxDelayMs: 9_000,
          retryJitter: 0.5,
          subtaskMaxRetries: 3,
          subtaskRetryBackoff: 'exponential',
          subtaskRetryDelayMs: 20,
          subtaskRetryMaxDelayMs: 2_000,
          subtaskRetryJitter: 1,
        };
        const created = await h.call('POST', '/api/v1/jobs', {
          token: alice.token,
          body: { groupId, name: 'pinned', trigger: { type: 'api' }, handler: 'h', ...settings },
        });
        expect(created.status).toBe(201);
        expect(created.body).toMatchObject(settings);
        const id = Number(created.body['id']);
        const read = await h.call('GET', `/api/v1/jobs/${id}`, { token: alice.token });
        expect(read.body).toMatchObject(settings);
        const patched = await h.call('PATCH', `/api/v1/jobs/${id}`, {
          token: alice.token,
          body: { routing: 'busy_over', routeLabels: [], routeRoom: null, retryJitter: 0 },
        });
        expect(patched.status).toBe(200);
        expect(patched.body).toMatchObject({
          ...settings,
          routing: 'busy_over',
          routeLabels: [],
          routeRoom: null,
          retryJitter: 0,
          version: 2,
        });
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

      it('without groupId, lists the jobs of every group the user may see (admin: all)', async () => {
        const mine = await createJob(h, alice.token, groupId, { name: 'across-mine' });
        const bob = await h.user(admin, 'bob-across');
        const bobGroup = await createGroup(h, bob.token, 'bob-across');
        const theirs = await createJob(h, bob.token, bobGroup, { name: 'across-theirs' });
        const ids = async (token: string): Promise<number[]> => {
          const list = await h.call('GET', '/api/v1/jobs', { token });
          expect(list.status, JSON.stringify(list.body)).toBe(200);
          return (list.body.items as Array<{ id: number }>).map((j) => j.id);
        };
        const byAlice = await ids(alice.token);
        expect(byAlice).toContain(mine.id);
        expect(byAlice).not.toContain(theirs.id);
        const byBob = await ids(bob.token);
        expect(byBob).toContain(theirs.id);
        expect(byBob).not.toContain(mine.id);
        const byAdmin = await ids(admin);
        expect(byAdmin).toEqual(expect.arrayContaining([mine.id, theirs.id]));
        expect([...byAdmin].sort((a, b) => a - b)).toEqual(byAdmin);
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
        // As curl sends it: a JSON content type and no body.
        const enabled = await h.call('POST', `/api/v1/jobs/${job.id}/enable`, {
          token: alice.token,
          raw: '',
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

      it('enable and disable never answer 409 because servers changed holders meanwhile', async () => {
        // A leader re-assigns holders (a fenced version bump) while servers come and go; a status
        // change asked without a version must not fail for it.
        const job = await createJob(h, alice.token, groupId, { name: 'holders race' });
        const statuses: number[] = [];
        for (let round = 0; round < 40; round++) {
          const verb = round % 2 === 0 ? 'disable' : 'enable';
          const [answer] = await Promise.all([
            h.call('POST', `/api/v1/jobs/${job.id}/${verb}`, { token: alice.token }),
            (async () => {
              for (let i = 0; i < 3; i++) {
                const current = await h.stores.jobs.get(job.id);
                if (current === undefined) throw new Error('job gone');
                await h.stores.jobs.setHolders(job.id, current.version, ['s1'], START_MS);
              }
            })(),
          ]);
          statuses.push(answer.status);
        }
        expect(statuses.filter((s) => s !== 200)).toEqual([]);
        const final = await h.stores.jobs.get(job.id);
        expect(final?.status).toBe('enabled');
        // A change without `version` likewise; with the version read before, still a 409.
        const named: number[] = [];
        for (let round = 0; round < 20; round++) {
          const before = await h.stores.jobs.get(job.id);
          const [unversioned, versioned] = await Promise.all([
            h.call('PATCH', `/api/v1/jobs/${job.id}`, {
              token: alice.token,
              body: { description: `round ${round}` },
            }),
            h.call('PATCH', `/api/v1/jobs/${job.id}`, {
              token: alice.token,
              body: { name: `holders race ${round}`, version: before?.version },
            }),
            h.stores.jobs.setHolders(job.id, before?.version ?? 0, ['s1'], START_MS),
          ]);
          statuses.push(unversioned.status);
          named.push(versioned.status);
        }
        expect(statuses.filter((s) => s !== 200)).toEqual([]);
        expect((await h.stores.jobs.get(job.id))?.description).toBe('round 19');
        // At most one of the two writers that read `before` wins it.
        expect(named.every((s) => s === 200 || s === 409)).toBe(true);
        expect(named.filter((s) => s === 409).length).toBeGreaterThan(0);
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
  });
}
