import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, Harness } from '../harness.js';
import type { DatabaseFixture } from '../harness.js';
import { createGroup, createJob, jobBody } from '../fixtures.js';

import { storedTextCases } from './stored-text-cases.js';
import { badRequests } from './validation-cases.js';
import type { BadCase } from './bad-case.js';

/** Bad input at the edge: a 4xx with a code and a message naming the field, and no change. */
export function defineValidationSuite(makeDb: () => Promise<DatabaseFixture>): void {
  describe('input validation', () => {
    let h: Harness;
    let token: string;
    let groupId: string;
    let job: { id: number; version: number };

    beforeAll(async () => {
      h = await Harness.start(await makeDb());
      const admin = await h.login(ADMIN.username, ADMIN.password);
      token = (await h.user(admin, 'editor')).token;
      groupId = await createGroup(h, token, 'validated');
      job = await createJob(h, token, groupId);
    });
    afterAll(async () => {
      await h?.close();
    });

    const cases = (): BadCase[] => [
      ...badRequests(groupId, job.id, job.version),
      ...storedTextCases(groupId, job.id),
    ];

    it('each bad request gets a 4xx with a stable code and a message naming the field, and changes nothing', async () => {
      const admin = await h.login(ADMIN.username, ADMIN.password);
      const before = await h.snapshot([groupId]);
      for (const c of cases()) {
        const caller = c.path === '/api/v1/users' ? admin : token;
        const answer = await h.call(c.method, c.path, { token: caller, ...c.options });
        expect(answer.status, `${c.name}: ${JSON.stringify(answer.body)}`).toBe(c.status);
        expect(answer.body.error.code, c.name).toBe(c.code);
        expect(typeof answer.body.error.message, c.name).toBe('string');
        if (c.field !== undefined) {
          expect(answer.body.error.details?.field, `${c.name}: ${answer.body.error.message}`).toBe(
            c.field,
          );
          expect(answer.body.error.message, c.name).toContain(c.field.split('.').at(-1));
        }
        if (c.message !== undefined) expect(answer.body.error.message, c.name).toContain(c.message);
      }
      expect(await h.snapshot([groupId])).toEqual(before);
      const stored = await h.stores.jobs.get(job.id);
      expect(stored?.version).toBe(job.version);
    });

    it('a parallel job is accepted now that servers run it in two levels', async () => {
      const answer = await h.call('POST', '/api/v1/jobs', {
        token,
        body: jobBody(groupId, { name: 'parallel accepted', kind: 'parallel' }),
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      expect(answer.body.kind).toBe('parallel');
      expect((await h.stores.jobs.get(answer.body.id as number))?.kind).toBe('parallel');
    });

    it('a sharded job is accepted with its params in either form, and broadcast on a simple job', async () => {
      const text = await h.call('POST', '/api/v1/jobs', {
        token,
        body: jobBody(groupId, {
          name: 'sharded accepted',
          kind: 'sharded',
          shardCount: 4,
          shardParams: '0=Beijing, 2=Guangzhou',
        }),
      });
      expect(text.status, JSON.stringify(text.body)).toBe(201);
      expect(text.body.shardCount).toBe(4);
      expect(text.body.shardParams).toEqual(['Beijing', null, 'Guangzhou']);
      const stored = await h.stores.jobs.get(text.body.id as number);
      expect(stored?.shardParams).toEqual(['Beijing', null, 'Guangzhou']);
      const list = await h.call('PATCH', `/api/v1/jobs/${String(text.body.id)}`, {
        token,
        body: { shardCount: 2, shardParams: ['x', 'y'] },
      });
      expect(list.status, JSON.stringify(list.body)).toBe(200);
      expect(list.body.shardParams).toEqual(['x', 'y']);
      const simple = await h.call('PATCH', `/api/v1/jobs/${String(text.body.id)}`, {
        token,
        body: { kind: 'simple', shardCount: 0, shardParams: [], routing: 'broadcast' },
      });
      expect(simple.status, JSON.stringify(simple.body)).toBe(200);
      expect(simple.body).toMatchObject({ kind: 'simple', shardCount: 0, routing: 'broadcast' });
      expect(simple.body.shardParams).toEqual([]);
    });

    it('unknown routes get a 404 in the same error shape', async () => {
      const answer = await h.call('GET', '/api/v1/nothing-here', { token });
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe('CARILLON_NOT_FOUND');
    });
  });
}
