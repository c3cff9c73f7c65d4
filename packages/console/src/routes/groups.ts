import type { FastifyInstance } from 'fastify';
import type { GroupRole, TaskGroup } from '@carillon/core';
import { parseTaskGroupId } from '@carillon/core';
import { actorOf } from '../auth/principal.js';
import type { ConsoleContext } from '../console-context.js';
import { conflict, notFound } from '../errors.js';
import { errorResponses, ref } from '../validation/shared-schemas.js';

/** The path parameter of every route under `/groups/{id}`. */
export const groupIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: {
    id: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: 'The four-segment task group id, cluster-serverGroup-backups-number.',
      examples: ['101-1-2-6601'],
    },
  },
} as const;

/** Parses a group id from the path or a body; throws `CARILLON_INVALID_TASK_GROUP_ID`. */
export function checkGroupId(text: string): string {
  parseTaskGroupId(text);
  return text;
}

/** A 404 for a task group, made lazily (only admins get it). */
export const groupNotFound = (id: string) => () => notFound(`task group ${id}`);

function view(
  group: TaskGroup,
  role: GroupRole | undefined,
): TaskGroup & { role: GroupRole | null } {
  return { ...group, role: role ?? null };
}

/**
 * Task group routes: create (the creator becomes owner), list (the groups the caller has a role
 * on; all for admins), get, delete (owners; refused while the group has jobs).
 */
export function registerGroupRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const { stores, access, settings } = ctx;

  // The ServerGroup with the most room takes the new one: the most live servers per task group
  // it already schedules (a ServerGroup with no live server has none), the first configured on
  // a tie. When the coordinator cannot say, or no ServerGroup has a live server, the fewest
  // task groups decide.
  async function pickServerGroup(): Promise<number> {
    const counts = new Map(settings.serverGroups.map((sg) => [sg, 0]));
    for (const group of await stores.groups.list()) {
      const count = counts.get(group.serverGroup);
      if (group.cluster === settings.cluster && count !== undefined) {
        counts.set(group.serverGroup, count + 1);
      }
    }
    const live = new Map<number, number>();
    try {
      for (const sg of counts.keys())
        live.set(sg, (await ctx.coordinator.listServers(settings.cluster, sg)).length);
    } catch (error) {
      ctx.logger.warn({ err: error }, 'live servers unknown; placing by task group count');
      live.clear();
    }
    const anyLive = [...live.values()].some((n) => n > 0);
    const room = (sg: number, groups: number): number =>
      anyLive ? (live.get(sg) ?? 0) / (groups + 1) : -groups;
    let best: [number, number] | undefined;
    for (const [sg, groups] of counts)
      if (best === undefined || room(sg, groups) > best[1]) best = [sg, room(sg, groups)];
    if (best === undefined) throw new Error('no ServerGroup configured');
    return best[0];
  }

  app.post<{ Body: { name: string; backups?: number } }>(
    '/groups',
    {
      schema: {
        tags: ['groups'],
        summary: 'Create a task group',
        description:
          'The console picks the ServerGroup (the configured one with the most live servers per task group) and the number; the caller becomes owner.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 128, pattern: '\\S' },
            backups: {
              type: 'integer',
              minimum: 1,
              maximum: settings.maxBackups,
              description: `How many servers hold each job (default ${settings.defaultBackups}).`,
            },
          },
        },
        response: { 201: ref('TaskGroup'), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { user } = ctx.auth.userOf(request);
      const { name } = request.body;
      const backups = request.body.backups ?? settings.defaultBackups;
      const serverGroup = await pickServerGroup();
      const group = await ctx.commitChange(actorOf(user), async (tx, audit) => {
        const created = await tx.groups.create(
          { cluster: settings.cluster, serverGroup, backups, name },
          ctx.clock.now(),
        );
        await tx.groups.grant(created.id, user.id, 'owner');
        await audit('group:create', `group:${created.id}`, { name, backups, serverGroup });
        return created;
      });
      return reply.code(201).send(view(group, 'owner'));
    },
  );

  app.get(
    '/groups',
    {
      schema: {
        tags: ['groups'],
        summary: 'List task groups',
        description: 'The groups the caller has a role on; every group for an admin.',
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: ref('TaskGroup') } },
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const roles = await stores.groups.rolesOf(user.id);
      const groups = await stores.groups.list();
      const visible = user.isAdmin ? groups : groups.filter((g) => roles.has(g.id));
      return { items: visible.map((g) => view(g, roles.get(g.id))) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/groups/:id',
    {
      schema: {
        tags: ['groups'],
        summary: 'Get a task group (viewer)',
        params: groupIdParams,
        response: { 200: ref('TaskGroup'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const id = checkGroupId(request.params.id);
      await access.requireGroup(user, id, 'viewer', groupNotFound(id));
      const group = await stores.groups.get(id);
      if (group === undefined) throw groupNotFound(id)();
      return view(group, await access.roleOf(user, id));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/groups/:id',
    {
      schema: {
        tags: ['groups'],
        summary: 'Delete a task group (owner)',
        description:
          'Refused with 409 while jobs belong to the group, deleted ones included (they keep the history of their executions).',
        params: groupIdParams,
        response: {
          204: { type: 'null', description: 'Deleted.' },
          ...errorResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { user } = ctx.auth.userOf(request);
      const id = checkGroupId(request.params.id);
      await access.requireGroup(user, id, 'owner', groupNotFound(id));
      await ctx.commitChange(actorOf(user), async (tx, audit) => {
        const jobs = await tx.jobs.listByGroup(id);
        if (jobs.length > 0) {
          throw conflict(
            `task group ${id} still has ${jobs.length} job(s); delete them before the group`,
            { jobs: jobs.length },
          );
        }
        if (!(await tx.groups.delete(id))) throw groupNotFound(id)();
        await audit('group:delete', `group:${id}`);
      });
      await ctx.notifyGroupChanged(id);
      return reply.code(204).send();
    },
  );
}
