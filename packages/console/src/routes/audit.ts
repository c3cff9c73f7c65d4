import type { FastifyInstance } from 'fastify';
import type { ConsoleContext } from '../console-context.js';
import { errorResponses } from '../validation/shared-schemas.js';

/** `GET /audit`: the audit trail, newest first (admin). */
export function registerAuditRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.get<{ Querystring: { limit?: number; beforeId?: number } }>(
    '/audit',
    {
      schema: {
        tags: ['users'],
        summary: 'The audit trail, newest first (admin)',
        description: 'Pass `nextBeforeId` back as `beforeId` for the next page.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            beforeId: { type: 'integer', minimum: 1 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items', 'nextBeforeId'],
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'at', 'actor', 'action', 'target', 'detail'],
                  properties: {
                    id: { type: 'integer' },
                    at: { type: 'integer', description: 'ms since the epoch' },
                    actor: { type: 'string', examples: ['user:alice'] },
                    action: { type: 'string', examples: ['job:create'] },
                    target: { type: 'string', examples: ['job:5'] },
                    detail: { type: ['string', 'null'], description: 'JSON text.' },
                  },
                },
              },
              nextBeforeId: { type: ['integer', 'null'] },
            },
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      ctx.access.requireAdmin(user);
      const limit = request.query.limit ?? 100;
      const items = await ctx.stores.audit.list(limit, request.query.beforeId);
      const last = items.at(-1);
      return { items, nextBeforeId: items.length === limit && last !== undefined ? last.id : null };
    },
  );
}
