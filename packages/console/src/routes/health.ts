import type { FastifyInstance } from 'fastify';
import { SessionState } from '@carillon/core';
import type { ConsoleContext } from '../console-context.js';
import { ref } from '../validation/shared-schemas.js';

/**
 * `GET /healthz`: 200 when the database answers a cheap query and the coordinator session is
 * connected; 503 otherwise (a console that cannot tell servers about changes should leave the
 * load balancer's rotation). Public, so it lives outside `/api/v1`.
 */
export function registerHealthRoute(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'Health of this console',
        security: [],
        response: {
          200: { description: 'Healthy.', ...ref('Health') },
          503: {
            description: 'The database or the coordinator is not available.',
            ...ref('Health'),
          },
        },
      },
    },
    async (_request, reply) => {
      let database: 'ok' | 'error' = 'ok';
      try {
        await ctx.stores.users.get(0);
      } catch (error) {
        database = 'error';
        ctx.logger.warn({ err: error }, 'health check: the database does not answer');
      }
      const coordinator = ctx.coordinator.state;
      const ok = database === 'ok' && coordinator === SessionState.Connected;
      return reply
        .code(ok ? 200 : 503)
        .send({ status: ok ? 'ok' : 'unavailable', database, coordinator });
    },
  );
}
