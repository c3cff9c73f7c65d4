import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { JobStatus } from '@carillon/core';
import { ExecutionCause, assertJobTransition, newExecutionId } from '@carillon/core';
import { actorOf } from '../auth/principal.js';
import type { ConsoleContext } from '../console-context.js';
import { conflict } from '../errors.js';
import { checkParam, triggerFireTimes } from '../validation/job-input.js';
import { jobIdParams } from '../validation/job-schemas.js';
import { errorResponses, ref } from '../validation/shared-schemas.js';
import { UNVERSIONED_ATTEMPTS, jobDeleted, loadJob } from './jobs.js';

/** How many fire instants `next` returns by default and at most. */
export const NEXT_COUNT = { default: 5, max: 100 } as const;

/**
 * Job action routes: enable, disable, delete, trigger once (editor) and the next fire instants
 * (viewer).
 */
export function registerJobActionRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const { settings } = ctx;

  // Moves a job to `status`, fenced by the version read; a job already there is left alone.
  // The request names no version, so a version bump between the read and the write (a leader
  // re-assigning holders while servers come and go, another console) is read again and the move
  // tried again: it does not depend on what else changed.
  async function setStatus(request: FastifyRequest, id: number, status: JobStatus, action: string) {
    const { user } = ctx.auth.userOf(request);
    for (let attempt = 1; ; attempt++) {
      const job = await loadJob(ctx, user, id, 'editor');
      if (job.status === status && status !== 'deleted') return job;
      if (job.status === 'deleted') throw jobDeleted(id);
      assertJobTransition(job.status, status);
      const changed = await ctx.commitChange(actorOf(user), async (tx, audit) => {
        const result = await tx.jobs.setStatus(id, job.version, status, ctx.clock.now());
        if (result !== undefined)
          await audit(action, `job:${id}`, { from: job.status, to: status });
        return result;
      });
      if (changed !== undefined) {
        await ctx.notifyGroupChanged(job.groupId);
        return changed;
      }
      if (attempt >= UNVERSIONED_ATTEMPTS) {
        throw conflict(`job ${id} kept changing while it was being ${status}; retry`);
      }
    }
  }

  for (const [verb, status] of [
    ['enable', 'enabled'],
    ['disable', 'disabled'],
  ] as const) {
    app.post<{ Params: { id: number } }>(
      `/jobs/:id/${verb}`,
      {
        schema: {
          tags: ['jobs'],
          summary: `${verb === 'enable' ? 'Enable' : 'Disable'} a job (editor)`,
          description: `Idempotent: a job already ${status} is returned unchanged.`,
          params: jobIdParams,
          response: { 200: ref('Job'), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      (request) => setStatus(request, request.params.id, status, `job:${verb}`),
    );
  }

  app.delete<{ Params: { id: number } }>(
    '/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Delete a job (editor)',
        description: 'The job is kept with status deleted, for its executions; it no longer fires.',
        params: jobIdParams,
        response: {
          204: { type: 'null', description: 'Deleted.' },
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      await setStatus(request, request.params.id, 'deleted', 'job:delete');
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { id: number }; Body: { param?: string | null } | null }>(
    '/jobs/:id/trigger',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Fire a job once, now (editor)',
        description:
          "Records a manual execution that a holder of the job dispatches. `param` replaces the job's parameter for this fire. Any enabled job, cron or API-triggered; 409 for a disabled one. The body may be omitted.",
        params: jobIdParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            param: {
              type: ['string', 'null'],
              description: `At most ${settings.maxParamBytes} bytes of UTF-8; default the job's.`,
            },
          },
        },
        response: {
          202: {
            type: 'object',
            required: ['executionId'],
            properties: { executionId: { type: 'string' } },
          },
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { user } = ctx.auth.userOf(request);
      const { id } = request.params;
      const job = await loadJob(ctx, user, id, 'editor');
      if (job.status !== 'enabled') throw conflict(`job ${id} is ${job.status}; enable it first`);
      const given = request.body?.param;
      const param =
        given === undefined ? job.param : checkParam('param', given, settings.maxParamBytes);
      const execution = await ctx.commitChange(actorOf(user), async (tx, audit) => {
        const now = ctx.clock.now();
        const inserted = await tx.executions.insertManual(
          {
            id: newExecutionId(now),
            jobId: id,
            groupId: job.groupId,
            scheduledAt: now,
            cause: ExecutionCause.Manual,
            param,
          },
          now,
        );
        await audit('job:trigger', `job:${id}`, { executionId: inserted.id });
        return inserted;
      });
      await ctx.notifyGroupChanged(job.groupId);
      return reply.code(202).send({ executionId: execution.id });
    },
  );

  app.get<{ Params: { id: number }; Querystring: { count?: number } }>(
    '/jobs/:id/next',
    {
      schema: {
        tags: ['jobs'],
        summary: 'The next fire instants of a job (viewer)',
        description:
          "From the cron engine, in the job's time zone, after now; computed as if the job were enabled. Empty for an API-triggered job.",
        params: jobIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            count: {
              type: 'integer',
              minimum: 1,
              maximum: NEXT_COUNT.max,
              default: NEXT_COUNT.default,
            },
          },
        },
        response: { 200: ref('FireTimes'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const job = await loadJob(ctx, user, request.params.id, 'viewer');
      return triggerFireTimes(
        job.trigger,
        ctx.clock.now(),
        request.query.count ?? NEXT_COUNT.default,
      );
    },
  );
}
