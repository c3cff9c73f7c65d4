import type { FastifyInstance } from 'fastify';
import type { GroupRole } from '@carillon/core';
import { GroupRole as Roles } from '@carillon/core';
import { actorOf } from '../auth/principal.js';
import type { ConsoleContext, TxStores } from '../console-context.js';
import { conflict, notFound } from '../errors.js';
import { errorResponses } from '../validation/shared-schemas.js';
import { checkGroupId, groupIdParams, groupNotFound } from './groups.js';

interface Member {
  readonly userId: number;
  readonly username: string;
  readonly role: GroupRole;
}

const memberSchema = {
  type: 'object',
  required: ['userId', 'username', 'role'],
  properties: {
    userId: { type: 'integer' },
    username: { type: 'string' },
    role: { type: 'string', enum: Object.values(Roles) },
  },
} as const;

const memberParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'userId'],
  properties: {
    id: groupIdParams.properties.id,
    userId: { type: 'integer', minimum: 1 },
  },
} as const;

async function membersOf(stores: TxStores, groupId: string): Promise<Member[]> {
  const users = await stores.users.list();
  const roles = await Promise.all(users.map((u) => stores.groups.roleOf(groupId, u.id)));
  const members: Member[] = [];
  users.forEach((u, i) => {
    const role = roles[i];
    if (role !== undefined) members.push({ userId: u.id, username: u.username, role });
  });
  return members;
}

// A group must keep an owner, or nobody but an admin could manage it.
async function assertKeepsOwner(
  stores: TxStores,
  groupId: string,
  userId: number,
  newRole: GroupRole | undefined,
): Promise<void> {
  if (newRole === 'owner') return;
  const members = await membersOf(stores, groupId);
  const owners = members.filter((m) => m.role === 'owner');
  if (owners.length === 1 && owners[0]?.userId === userId) {
    throw conflict(
      `user ${userId} is the last owner of task group ${groupId}; make another owner first`,
    );
  }
}

/**
 * Member routes of a task group: list (viewer), set a user's role and remove it (owner).
 */
export function registerMemberRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const { stores, access } = ctx;

  app.get<{ Params: { id: string } }>(
    '/groups/:id/members',
    {
      schema: {
        tags: ['groups'],
        summary: 'List the members of a task group (viewer)',
        params: groupIdParams,
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: memberSchema } },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const id = checkGroupId(request.params.id);
      await access.requireGroup(user, id, 'viewer', groupNotFound(id));
      return { items: await membersOf(stores, id) };
    },
  );

  app.put<{ Params: { id: string; userId: number }; Body: { role: GroupRole } }>(
    '/groups/:id/members/:userId',
    {
      schema: {
        tags: ['groups'],
        summary: "Set a user's role on a task group (owner)",
        description: 'owner ⊇ editor ⊇ viewer. The last owner cannot step down (409).',
        params: memberParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['role'],
          properties: { role: { type: 'string', enum: Object.values(Roles) } },
        },
        response: { 200: memberSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const id = checkGroupId(request.params.id);
      const { userId } = request.params;
      const { role } = request.body;
      await access.requireGroup(user, id, 'owner', groupNotFound(id));
      const target = await stores.users.get(userId);
      if (target === undefined) throw notFound(`user ${userId}`);
      await ctx.commitChange(actorOf(user), async (tx, audit) => {
        await assertKeepsOwner(tx, id, userId, role);
        await tx.groups.grant(id, userId, role);
        await audit('member:set', `group:${id}`, { userId, username: target.username, role });
      });
      return { userId, username: target.username, role };
    },
  );

  app.delete<{ Params: { id: string; userId: number } }>(
    '/groups/:id/members/:userId',
    {
      schema: {
        tags: ['groups'],
        summary: "Remove a user's role on a task group (owner)",
        params: memberParams,
        response: {
          204: { type: 'null', description: 'Removed (or had no role).' },
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { user } = ctx.auth.userOf(request);
      const id = checkGroupId(request.params.id);
      const { userId } = request.params;
      await access.requireGroup(user, id, 'owner', groupNotFound(id));
      await ctx.commitChange(actorOf(user), async (tx, audit) => {
        if ((await tx.groups.roleOf(id, userId)) === undefined) return;
        await assertKeepsOwner(tx, id, userId, undefined);
        await tx.groups.revoke(id, userId);
        await audit('member:remove', `group:${id}`, { userId });
      });
      return reply.code(204).send();
    },
  );
}
