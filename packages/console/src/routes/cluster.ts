import type { FastifyInstance } from 'fastify';
import type { ServerMember } from '@carillon/core';
import type { ConsoleContext } from '../console-context.js';
import { forbidden } from '../errors.js';
import { errorResponses } from '../validation/shared-schemas.js';
import { checkGroupId, groupNotFound } from './groups.js';

interface ServerView {
  readonly serverId: string;
  readonly cluster: number;
  readonly serverGroup: number;
  readonly room: string;
  readonly rpcAddress: string;
  readonly live: boolean;
  readonly lastSeenAt: number | null;
}

const groupQuery = (description: string) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['groupId'],
    properties: { groupId: { type: 'string', minLength: 1, maxLength: 64, description } },
  }) as const;

/**
 * What the console knows of the cluster: discovery for the SDK (client token of the group, or a
 * user with a role on it), the servers, and the clients of a group.
 */
export function registerClusterRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const { stores, coordinator, access, settings } = ctx;

  app.get<{ Querystring: { groupId: string } }>(
    '/discovery',
    {
      schema: {
        tags: ['cluster'],
        summary: 'The live servers a client of a task group connects to',
        description:
          'Authenticated by a client token of the group (or a user token with a role on it). The SDK calls it at start and on reconnect.',
        querystring: groupQuery('The task group whose servers the client connects to.'),
        response: {
          200: {
            type: 'object',
            required: ['groupId', 'servers'],
            properties: {
              groupId: { type: 'string' },
              servers: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['serverId', 'address', 'room'],
                  properties: {
                    serverId: { type: 'string' },
                    address: { type: 'string', description: 'host:port of its gRPC endpoint.' },
                    room: { type: 'string' },
                  },
                },
              },
            },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const principal = ctx.auth.principalOf(request);
      const groupId = checkGroupId(request.query.groupId);
      if (principal.kind === 'client') {
        if (principal.groupId !== groupId) throw forbidden();
      } else {
        await access.requireGroup(principal.user, groupId, 'viewer', groupNotFound(groupId));
      }
      const group = await stores.groups.get(groupId);
      if (group === undefined) {
        throw principal.kind === 'user' && principal.user.isAdmin
          ? groupNotFound(groupId)()
          : forbidden();
      }
      const servers = await coordinator.listServers(group.cluster, group.serverGroup);
      return {
        groupId,
        servers: servers.map((s) => ({
          serverId: s.serverId,
          address: s.rpcAddress,
          room: s.room,
        })),
      };
    },
  );

  app.get(
    '/servers',
    {
      schema: {
        tags: ['cluster'],
        summary: "The servers of this console's ServerGroups",
        description:
          '`live`: registered with the coordinator now. `lastSeenAt`: from the database, null for a live server not recorded yet.',
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  required: [
                    'serverId',
                    'cluster',
                    'serverGroup',
                    'room',
                    'rpcAddress',
                    'live',
                    'lastSeenAt',
                  ],
                  properties: {
                    serverId: { type: 'string' },
                    cluster: { type: 'integer' },
                    serverGroup: { type: 'integer' },
                    room: { type: 'string' },
                    rpcAddress: { type: 'string' },
                    live: { type: 'boolean' },
                    lastSeenAt: { type: ['integer', 'null'] },
                  },
                },
              },
            },
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => {
      ctx.auth.userOf(request);
      const live = new Map<string, ServerMember>();
      for (const sg of settings.serverGroups) {
        for (const s of await coordinator.listServers(settings.cluster, sg))
          live.set(s.serverId, s);
      }
      const recorded = await stores.servers.list(settings.cluster);
      const items: ServerView[] = recorded
        .filter((r) => settings.serverGroups.includes(r.serverGroup))
        .map((r) => {
          const member = live.get(r.id);
          return {
            serverId: r.id,
            cluster: r.cluster,
            serverGroup: member?.serverGroup ?? r.serverGroup,
            room: member?.room ?? r.room,
            rpcAddress: member?.rpcAddress ?? r.rpcAddress,
            live: member !== undefined,
            lastSeenAt: r.lastSeenAt,
          };
        });
      const known = new Set(items.map((i) => i.serverId));
      for (const m of live.values()) {
        if (known.has(m.serverId)) continue;
        items.push({
          serverId: m.serverId,
          cluster: m.cluster,
          serverGroup: m.serverGroup,
          room: m.room,
          rpcAddress: m.rpcAddress,
          live: true,
          lastSeenAt: null,
        });
      }
      items.sort((a, b) => (a.serverId < b.serverId ? -1 : a.serverId > b.serverId ? 1 : 0));
      return { items };
    },
  );

  app.get<{ Querystring: { groupId: string } }>(
    '/clients',
    {
      schema: {
        tags: ['cluster'],
        summary: 'The connected clients of a task group (viewer)',
        description:
          'One row per connection: a client connects to every server of its ServerGroup.',
        querystring: groupQuery('The task group.'),
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['clientId', 'groupId', 'serverId', 'handlers', 'room'],
                  properties: {
                    clientId: { type: 'string' },
                    groupId: { type: 'string' },
                    serverId: { type: 'string' },
                    handlers: { type: 'array', items: { type: 'string' } },
                    room: { type: 'string' },
                    labels: {
                      type: 'array',
                      items: { type: 'string' },
                      description:
                        'Labels the client declared (client option `labels`), for jobs pinned to labels; absent when none.',
                    },
                    hungSlots: {
                      type: 'object',
                      additionalProperties: { type: 'integer' },
                      description:
                        'Slots lost to handlers still running after their signal aborted (timed out or cancelled), by handler, as the client reports them.',
                    },
                  },
                },
              },
            },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const groupId = checkGroupId(request.query.groupId);
      await access.requireGroup(user, groupId, 'viewer', groupNotFound(groupId));
      return { items: await coordinator.listClients(groupId) };
    },
  );
}
