import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, Harness } from '../harness.js';
import type { CallOptions, DatabaseFixture } from '../harness.js';
import { createGroup, createJob, jobBody } from '../fixtures.js';

interface BadCase {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly options: CallOptions;
  readonly status: number;
  readonly code: string;
  /** The request field the answer must name (`details.field`), where there is one. */
  readonly field?: string;
}

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

    const cron = (c: string, timeZone = 'UTC') => ({ type: 'cron', cron: c, timeZone });
    const create = (overrides: Record<string, unknown>): CallOptions => ({
      body: jobBody(groupId, overrides),
    });
    const without = (field: string): CallOptions => {
      const body = jobBody(groupId);
      delete body[field];
      return { body };
    };

    const cases = (): BadCase[] => [
      {
        name: 'bad cron (hour 25)',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ trigger: cron('0 0 25 * * ?') }),
        status: 400,
        code: 'CARILLON_INVALID_CRON',
        field: 'trigger.cron',
      },
      {
        name: 'cron with too few fields',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ trigger: cron('* * * *') }),
        status: 400,
        code: 'CARILLON_INVALID_CRON',
        field: 'trigger.cron',
      },
      {
        name: 'unknown time zone',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ trigger: cron('0 * * * * ?', 'Mars/Olympus_Mons') }),
        status: 400,
        code: 'CARILLON_INVALID_TIME_ZONE',
        field: 'trigger.timeZone',
      },
      {
        name: 'malformed group id',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ groupId: '101-1-two-5' }),
        status: 400,
        code: 'CARILLON_INVALID_TASK_GROUP_ID',
      },
      {
        name: 'group id with backups 0',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ groupId: '101-1-0-5' }),
        status: 400,
        code: 'CARILLON_INVALID_TASK_GROUP_ID',
      },
      {
        name: 'oversized parameter',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ param: 'x'.repeat(64 * 1024 + 1) }),
        status: 400,
        code: 'CARILLON_INVALID_ARGUMENT',
        field: 'param',
      },
      {
        name: 'oversized parameter in bytes, not characters',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ param: 'é'.repeat(40_000) }),
        status: 400,
        code: 'CARILLON_INVALID_ARGUMENT',
        field: 'param',
      },
      {
        name: 'unknown field',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ colour: 'red' }),
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'colour',
      },
      {
        name: 'timeoutMs as a string',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ timeoutMs: '5000' }),
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'timeoutMs',
      },
      {
        name: 'name as a number',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ name: 5 }),
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'name',
      },
      {
        name: 'enabled as a string',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ enabled: 'yes' }),
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'enabled',
      },
      {
        name: 'empty name',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ name: '' }),
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'name',
      },
      {
        name: 'blank name',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ name: '   ' }),
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'name',
      },
      {
        name: 'missing handler',
        method: 'POST',
        path: '/api/v1/jobs',
        options: without('handler'),
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'handler',
      },
      {
        name: 'cron trigger without its cron',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ trigger: { type: 'cron', timeZone: 'UTC' } }),
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'trigger.cron',
      },
      {
        name: 'api trigger with a cron',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ trigger: { type: 'api', cron: '* * * * * ?' } }),
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'trigger.cron',
      },
      {
        name: 'unknown trigger type',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ trigger: { type: 'rate', everyMs: 5 } }),
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'trigger.type',
      },
      {
        name: 'unknown overlap policy',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ overlap: 'sometimes' }),
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'overlap',
      },
      {
        name: 'negative timeout',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ timeoutMs: -1 }),
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'timeoutMs',
      },
      {
        name: 'too many retries',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ maxRetries: 101 }),
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'maxRetries',
      },
      {
        name: 'body not JSON',
        method: 'POST',
        path: '/api/v1/jobs',
        options: { raw: '{"groupId": ' },
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
      },
      {
        name: 'body an array',
        method: 'POST',
        path: '/api/v1/jobs',
        options: { body: [jobBody(groupId)] },
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
      },
      {
        name: 'body as text/plain',
        method: 'POST',
        path: '/api/v1/jobs',
        options: { raw: JSON.stringify(jobBody(groupId)), contentType: 'text/plain' },
        status: 415,
        code: 'CARILLON_UNSUPPORTED_MEDIA_TYPE',
      },
      {
        name: 'body over the size limit',
        method: 'POST',
        path: '/api/v1/jobs',
        options: create({ param: 'x'.repeat(2 * 1024 * 1024) }),
        status: 413,
        code: 'CARILLON_REQUEST_TOO_LARGE',
      },
      {
        name: 'update with a bad cron',
        method: 'PATCH',
        path: `/api/v1/jobs/${job.id}`,
        options: { body: { trigger: cron('0 0 0 32 * ?') } },
        status: 400,
        code: 'CARILLON_INVALID_CRON',
        field: 'trigger.cron',
      },
      {
        name: 'update with an unknown time zone',
        method: 'PATCH',
        path: `/api/v1/jobs/${job.id}`,
        options: { body: { trigger: cron('0 0 * * * ?', 'Europe/Atlantis') } },
        status: 400,
        code: 'CARILLON_INVALID_TIME_ZONE',
        field: 'trigger.timeZone',
      },
      {
        name: 'update moving the job to another group',
        method: 'PATCH',
        path: `/api/v1/jobs/${job.id}`,
        options: { body: { groupId: '101-1-2-77' } },
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'groupId',
      },
      {
        name: 'update with nothing to change',
        method: 'PATCH',
        path: `/api/v1/jobs/${job.id}`,
        options: { body: { version: job.version } },
        status: 400,
        code: 'CARILLON_INVALID_ARGUMENT',
        field: 'body',
      },
      {
        name: 'update with an oversized parameter',
        method: 'PATCH',
        path: `/api/v1/jobs/${job.id}`,
        options: { body: { param: 'y'.repeat(64 * 1024 + 1) } },
        status: 400,
        code: 'CARILLON_INVALID_ARGUMENT',
        field: 'param',
      },
      {
        name: 'trigger with an oversized parameter',
        method: 'POST',
        path: `/api/v1/jobs/${job.id}/trigger`,
        options: { body: { param: 'z'.repeat(64 * 1024 + 1) } },
        status: 400,
        code: 'CARILLON_INVALID_ARGUMENT',
        field: 'param',
      },
      {
        name: 'trigger with an unknown field',
        method: 'POST',
        path: `/api/v1/jobs/${job.id}/trigger`,
        options: { body: { params: 'typo' } },
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'params',
      },
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
      {
        name: 'job id not a number',
        method: 'GET',
        path: '/api/v1/jobs/abc',
        options: {},
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'id',
      },
      {
        name: 'next count 0',
        method: 'GET',
        path: `/api/v1/jobs/${job.id}/next?count=0`,
        options: {},
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'count',
      },
      {
        name: 'next count not a number',
        method: 'GET',
        path: `/api/v1/jobs/${job.id}/next?count=many`,
        options: {},
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'count',
      },
      {
        name: 'unknown query parameter',
        method: 'GET',
        path: `/api/v1/jobs?groupId=${groupId}&sort=name`,
        options: {},
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'sort',
      },
      {
        name: 'unknown execution state',
        method: 'GET',
        path: `/api/v1/executions?jobId=${job.id}&state=claimed,bogus`,
        options: {},
        status: 400,
        code: 'CARILLON_INVALID_ARGUMENT',
        field: 'query.state',
      },
      {
        name: 'execution limit too large',
        method: 'GET',
        path: `/api/v1/executions?jobId=${job.id}&limit=501`,
        options: {},
        status: 400,
        code: 'CARILLON_INVALID_REQUEST',
        field: 'limit',
      },
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
      }
      expect(await h.snapshot([groupId])).toEqual(before);
      const stored = await h.stores.jobs.get(job.id);
      expect(stored?.version).toBe(job.version);
    });

    it('unknown routes get a 404 in the same error shape', async () => {
      const answer = await h.call('GET', '/api/v1/nothing-here', { token });
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe('CARILLON_NOT_FOUND');
    });
  });
}
