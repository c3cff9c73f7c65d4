import type { FastifyInstance } from 'fastify';
import { TokenKind, hashTokenSecret } from '@carillon/core';
import { newTokenSecret } from '../auth/token-secret.js';
import { actorOf } from '../auth/principal.js';
import type { ConsoleContext } from '../console-context.js';
import { notFound } from '../errors.js';
import { errorResponses } from '../validation/shared-schemas.js';
import { checkGroupId, groupIdParams, groupNotFound } from './groups.js';

const tokenSchema = {
  type: 'object',
  required: ['id', 'groupId', 'name', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    groupId: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'integer', description: 'ms since the epoch' },
  },
} as const;

const secretProperty = {
  type: 'string',
  minLength: 16,
  maxLength: 256,
  description: 'A token secret.',
} as const;

/**
 * Client token routes: issue a token for the clients (executors) of a task group (editor), and
 * revoke one, by its secret (editor of its group) or by its id (admin).
 */
export function registerTokenRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const { stores, access } = ctx;

  app.post<{ Params: { id: string }; Body: { name?: string } | null }>(
    '/groups/:id/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Issue a client token for a task group (editor)',
        description:
          'The secret is in the answer only: store it. Clients send it in hello and to discovery. The body may be omitted.',
        params: groupIdParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 128, description: 'A label.' } },
        },
        response: {
          201: {
            type: 'object',
            required: [...tokenSchema.required, 'token'],
            properties: { ...tokenSchema.properties, token: { type: 'string' } },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { user } = ctx.auth.userOf(request);
      const groupId = checkGroupId(request.params.id);
      await access.requireGroup(user, groupId, 'editor', groupNotFound(groupId));
      const name = request.body?.name ?? '';
      const secret = newTokenSecret();
      const token = await ctx.commitChange(actorOf(user), async (tx, audit) => {
        const created = await tx.users.createToken(
          {
            kind: TokenKind.Client,
            userId: null,
            groupId,
            name,
            secretHash: hashTokenSecret(secret),
          },
          ctx.clock.now(),
        );
        await audit('token:create', `group:${groupId}`, { tokenId: created.id, name });
        return created;
      });
      return reply.code(201).send({
        id: token.id,
        groupId,
        name: token.name,
        createdAt: token.createdAt,
        token: secret,
      });
    },
  );

  app.post<{ Params: { id: string }; Body: { token: string } }>(
    '/groups/:id/tokens/revoke',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Revoke a client token of a task group by its secret (editor)',
        params: groupIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['token'],
          properties: { token: secretProperty },
        },
        response: {
          204: { type: 'null', description: 'Revoked.' },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { user } = ctx.auth.userOf(request);
      const groupId = checkGroupId(request.params.id);
      await access.requireGroup(user, groupId, 'editor', groupNotFound(groupId));
      const token = await stores.users.findToken(hashTokenSecret(request.body.token));
      if (token === undefined || token.kind !== TokenKind.Client || token.groupId !== groupId) {
        throw notFound(`client token of task group ${groupId}`);
      }
      await ctx.commitChange(actorOf(user), async (tx, audit) => {
        await tx.users.revokeToken(token.id, ctx.clock.now());
        await audit('token:revoke', `group:${groupId}`, { tokenId: token.id });
      });
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: { tokenId: number } }>(
    '/tokens/:tokenId',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Revoke any API token by its id (admin)',
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['tokenId'],
          properties: { tokenId: { type: 'integer', minimum: 1 } },
        },
        response: {
          204: { type: 'null', description: 'Revoked.' },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { user } = ctx.auth.userOf(request);
      access.requireAdmin(user);
      const { tokenId } = request.params;
      await ctx.commitChange(actorOf(user), async (tx, audit) => {
        if (!(await tx.users.revokeToken(tokenId, ctx.clock.now())))
          throw notFound(`token ${tokenId}`);
        await audit('token:revoke', `token:${tokenId}`);
      });
      return reply.code(204).send();
    },
  );
}
