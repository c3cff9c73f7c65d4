import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '@carillon/core';
import { createGroup, createJob, jobBody } from '../fixtures.js';
import { ADMIN, Harness } from '../harness.js';
import type { DatabaseFixture } from '../harness.js';

/**
 * What is stored is what was meant: canonical time zones, lengths counted in code points as
 * the OpenAPI document says (and the columns hold them), user names unique without case.
 */
export function defineStoredInputSuite(makeDb: () => Promise<DatabaseFixture>): void {
  describe('stored input', () => {
    let h: Harness;
    let admin: string;
    let token: string;
    let groupId: string;

    beforeAll(async () => {
      h = await Harness.start(await makeDb());
      admin = await h.login(ADMIN.username, ADMIN.password);
      token = (await h.user(admin, 'typist')).token;
      groupId = await createGroup(h, token, 'typed');
    });
    afterAll(async () => {
      await h?.close();
    });

    it('stores time zones under their canonical IANA names', async () => {
      for (const [typed, canonical] of [
        ['utc', 'UTC'],
        ['Europe/paris', 'Europe/Paris'],
        ['AMERICA/new_york', 'America/New_York'],
      ] as const) {
        const job = await createJob(h, token, groupId, {
          name: `zone ${typed}`,
          trigger: { type: 'cron', cron: '0 0 12 * * ?', timeZone: typed },
        });
        expect(job.trigger).toEqual({ type: 'cron', cron: '0 0 12 * * ?', timeZone: canonical });
        expect((await h.stores.jobs.get(job.id))?.trigger).toEqual(job.trigger);
      }
      const job = await createJob(h, token, groupId, { name: 'zone update' });
      const updated = await h.call<Job>('PATCH', `/api/v1/jobs/${job.id}`, {
        token,
        body: { trigger: { type: 'cron', cron: '0 0 6 * * ?', timeZone: 'asia/tokyo' } },
      });
      expect(updated.status, JSON.stringify(updated.body)).toBe(200);
      expect(updated.body.trigger).toMatchObject({ timeZone: 'Asia/Tokyo' });
    });

    it('counts name lengths in code points, as the OpenAPI document says, and stores them whole', async () => {
      // 128 characters outside the BMP: 256 UTF-16 units, 512 UTF-8 bytes.
      const longest = '🔔'.repeat(128);
      const job = await createJob(h, token, groupId, { name: longest, handler: '鐘'.repeat(128) });
      expect((await h.stores.jobs.get(job.id))?.name).toBe(longest);
      const tooLong = await h.call('POST', '/api/v1/jobs', {
        token,
        body: jobBody(groupId, { name: '🔔'.repeat(129) }),
      });
      expect(tooLong.status).toBe(400);
      const group = await h.call<{ id: string; name: string }>('POST', '/api/v1/groups', {
        token,
        body: { name: '🎐'.repeat(128) },
      });
      expect(group.status, JSON.stringify(group.body)).toBe(201);
      expect((await h.stores.groups.get(group.body.id))?.name).toBe('🎐'.repeat(128));
    });

    it('makes user names unique without regard to case, and signs in by any case', async () => {
      const created = await h.call<{ id: number; username: string }>('POST', '/api/v1/users', {
        token: admin,
        body: { username: 'Carol.Smith', password: 'carol-password-1' },
      });
      expect(created.status).toBe(201);
      expect(created.body.username).toBe('Carol.Smith');
      const before = await h.snapshot();
      for (const username of ['carol.smith', 'CAROL.SMITH', 'Carol.Smith']) {
        const clash = await h.call('POST', '/api/v1/users', {
          token: admin,
          body: { username, password: 'other-password-1' },
        });
        expect(clash.status, username).toBe(409);
        expect(clash.body.error.code).toBe('CARILLON_CONFLICT');
      }
      expect(await h.snapshot()).toEqual(before);
      for (const username of ['carol.smith', 'CAROL.SMITH']) {
        const login = await h.call<{ token: string }>('POST', '/api/v1/auth/login', {
          body: { username, password: 'carol-password-1' },
        });
        expect(login.status, username).toBe(200);
      }
      const wrong = await h.call('POST', '/api/v1/auth/login', {
        body: { username: 'CAROL.smith', password: 'other-password-1' },
      });
      expect(wrong.status).toBe(401);
    });
  });
}
