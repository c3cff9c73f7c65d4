import type { FastifyInstance } from 'fastify';
import { TokenKind, hashTokenSecret } from '@carillon/core';
import { verifyAgainstDecoy, verifyPassword } from '../auth/password.js';
import { actorOf } from '../auth/principal.js';
import { newTokenSecret } from '../auth/token-secret.js';
import type { ConsoleContext } from '../console-context.js';
import { unauthenticated } from '../errors.js';
import { errorResponses, ref } from '../validation/shared-schemas.js';

/** `POST /auth/login`: public, so it is registered outside the authenticated scope. */
export function registerLoginRoute(app: FastifyInstance, ctx: ConsoleContext): void {
  const { stores, logger } = ctx;

  app.post<{ Body: { username: string; password: string } }>(
    '/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Sign in',
        description:
          'Returns a new user API token (shown once; send it as `Authorization: Bearer <token>`). It stays valid until revoked by logout.',
        security: [],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'password'],
          properties: {
            username: { type: 'string', minLength: 1, maxLength: 64 },
            password: { type: 'string', minLength: 1, maxLength: 1024 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['token', 'user'],
            properties: { token: { type: 'string' }, user: ref('User') },
          },
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => {
      const { username, password } = request.body;
      const found = await stores.users.findForLogin(username);
      const ok =
        found === undefined
          ? await verifyAgainstDecoy(password)
          : await verifyPassword(password, found.passwordHash);
      if (!ok || found === undefined) {
        logger.warn({ username, ip: request.ip }, 'sign-in refused');
        throw unauthenticated('wrong username or password');
      }
      const { user } = found;
      const secret = newTokenSecret();
      await ctx.commitChange(actorOf(user), async (tx, audit) => {
        const token = await tx.users.createToken(
          {
            kind: TokenKind.User,
            userId: user.id,
            groupId: null,
            name: 'login',
            secretHash: hashTokenSecret(secret),
          },
          ctx.clock.now(),
        );
        await audit('auth:login', `user:${user.id}`, { tokenId: token.id });
      });
      return { token: secret, user };
    },
  );
}

/** `POST /auth/logout` and `GET /me`: authenticated. */
export function registerSessionRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  app.post(
    '/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke the token of this request',
        response: { 204: { type: 'null', description: 'Revoked.' }, ...errorResponses(401, 403) },
      },
    },
    async (request, reply) => {
      const { user, tokenId } = ctx.auth.userOf(request);
      await ctx.commitChange(actorOf(user), async (tx, audit) => {
        await tx.users.revokeToken(tokenId, ctx.clock.now());
        await audit('auth:logout', `user:${user.id}`, { tokenId });
      });
      return reply.code(204).send();
    },
  );

  app.get(
    '/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who the caller is, and its roles',
        response: {
          200: {
            type: 'object',
            required: ['user', 'roles'],
            properties: {
              user: ref('User'),
              roles: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['groupId', 'role'],
                  properties: { groupId: { type: 'string' }, role: { type: 'string' } },
                },
              },
            },
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const roles = await ctx.stores.groups.rolesOf(user.id);
      return { user, roles: [...roles].map(([groupId, role]) => ({ groupId, role })) };
    },
  );
}
