import type { FastifyInstance } from 'fastify';
import { TokenKind, hashTokenSecret } from '@carillon/core';
import { actorOf } from '../auth/principal.js';
import { newTokenSecret } from '../auth/token-secret.js';
import type { ConsoleContext } from '../console-context.js';
import { forbidden } from '../errors.js';
import { errorResponses } from '../validation/shared-schemas.js';

/**
 * `POST /auth/tokens`: a personal API token for scripts. Unlike a session it has no idle or
 * absolute lifetime; it acts as its user until revoked (`POST /auth/logout` with it, or an
 * admin's `DELETE /tokens/{id}`).
 */
export function registerPersonalTokenRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.post<{ Body: { name: string } }>(
    '/auth/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create a personal API token (shown once) for scripts',
        description:
          'Acts as the caller until revoked; it does not expire. Only a signed-in session may create one, so that a leaked token cannot mint more.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 128, pattern: '\\S' } },
        },
        response: {
          201: {
            type: 'object',
            required: ['id', 'name', 'token', 'createdAt'],
            properties: {
              id: { type: 'integer' },
              name: { type: 'string' },
              token: { type: 'string' },
              createdAt: { type: 'integer' },
            },
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const { user, credential } = ctx.auth.userOf(request);
      if (credential.kind !== 'session') {
        throw forbidden('forbidden: sign in to create API tokens; a token cannot make another');
      }
      const secret = newTokenSecret();
      const created = await ctx.commitChange(actorOf(user), async (tx, audit) => {
        const token = await tx.users.createToken(
          {
            kind: TokenKind.User,
            userId: user.id,
            groupId: null,
            name: request.body.name,
            secretHash: hashTokenSecret(secret),
          },
          ctx.clock.now(),
        );
        await audit('token:create', `user:${user.id}`, { tokenId: token.id, name: token.name });
        return token;
      });
      return reply
        .code(201)
        .send({ id: created.id, name: created.name, token: secret, createdAt: created.createdAt });
    },
  );
}
