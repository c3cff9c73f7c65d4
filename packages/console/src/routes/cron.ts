import type { FastifyInstance } from 'fastify';
import { JOB_LIMITS } from '@carillon/core';
import type { ConsoleContext } from '../console-context.js';
import { cronFireTimes } from '../validation/job-input.js';
import { JOB_DEFAULTS } from '../validation/job-schemas.js';
import { errorResponses, ref } from '../validation/shared-schemas.js';
import { NEXT_COUNT } from './job-actions.js';

/** `GET /cron/next`: checks a cron expression and previews it, for editors before they save. */
export function registerCronRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get<{ Querystring: { cron: string; timeZone?: string; count?: number } }>(
    '/cron/next',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Describe a cron expression and its next fire instants',
        description: 'A 400 with `CARILLON_INVALID_CRON` names the bad field of the expression.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['cron'],
          properties: {
            cron: { type: 'string', minLength: 1, maxLength: JOB_LIMITS.cronMax },
            timeZone: {
              type: 'string',
              minLength: 1,
              maxLength: JOB_LIMITS.timeZoneMax,
              default: JOB_DEFAULTS.timeZone,
            },
            count: {
              type: 'integer',
              minimum: 1,
              maximum: NEXT_COUNT.max,
              default: NEXT_COUNT.default,
            },
          },
        },
        response: { 200: ref('FireTimes'), ...errorResponses(400, 401, 403) },
      },
    },
    (request) => {
      ctx.auth.userOf(request);
      const { cron, timeZone, count } = request.query;
      return Promise.resolve(
        cronFireTimes(
          cron,
          timeZone ?? JOB_DEFAULTS.timeZone,
          ctx.clock.now(),
          count ?? NEXT_COUNT.default,
          { cron: 'query.cron', timeZone: 'query.timeZone' },
        ),
      );
    },
  );
}
