import type { FastifyInstance } from 'fastify';
import { PASSWORD_LIMITS, hashPassword } from '../auth/password.js';
import { actorOf } from '../auth/principal.js';
import type { ConsoleContext } from '../console-context.js';
import { errorResponses, ref } from '../validation/shared-schemas.js';

/** User routes (admin only): create, list. */
export function registerUserRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.post<{ Body: { username: string; password: string; isAdmin?: boolean } }>(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a user (admin)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'password'],
          properties: {
            username: {
              type: 'string',
              minLength: 1,
              maxLength: 64,
              pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$',
              description:
                'Letters, digits and . _ @ -. Unique without regard to case (409 if another user has it in any case); sign in with any case.',
            },
            password: {
              type: 'string',
              minLength: PASSWORD_LIMITS.min,
              maxLength: PASSWORD_LIMITS.max,
            },
            isAdmin: { type: 'boolean', default: false },
          },
        },
        response: { 201: ref('User'), ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const { user: actor } = ctx.auth.userOf(request);
      ctx.access.requireAdmin(actor);
      const { username, password } = request.body;
      const isAdmin = request.body.isAdmin ?? false;
      const passwordHash = await hashPassword(password);
      const user = await ctx.commitChange(actorOf(actor), async (tx, audit) => {
        const created = await tx.users.create({ username, passwordHash, isAdmin }, ctx.clock.now());
        await audit('user:create', `user:${created.id}`, { username, isAdmin });
        return created;
      });
      return reply.code(201).send(user);
    },
  );

  app.get(
    '/users',
    {
      schema: {
        tags: ['users'],
        summary: 'List users (admin)',
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: ref('User') } },
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      ctx.access.requireAdmin(user);
      return { items: await ctx.stores.users.list() };
    },
  );
}
