import type { FastifyInstance } from 'fastify';
import type { CarillonError, Job, JobSpec, JobUpdate, TaskGroup, User } from '@carillon/core';
import { chooseHolders, countFirstHolder, parseShardParams } from '@carillon/core';
import { actorOf } from '../auth/principal.js';
import type { ConsoleContext } from '../console-context.js';
import { conflict, invalidArgument, notFound } from '../errors.js';
import { checkParam, checkTrigger } from '../validation/job-input.js';
import type { CreateJobBody, UpdateJobBody } from '../validation/job-schemas.js';
import {
  JOB_DEFAULTS,
  ROUTING_RETRY_FIELDS,
  createJobSchema,
  jobIdParams,
  updateJobSchema,
} from '../validation/job-schemas.js';
import { errorResponses, ref } from '../validation/shared-schemas.js';
import { checkGroupId, groupNotFound } from './groups.js';

/** A 404 for a job, made lazily (only those who may see its group get it). */
export const jobNotFound = (id: number) => () => notFound(`job ${id}`);

/**
 * Loads a job and checks that the caller holds `needed` on its group. A deleted job is returned
 * too (it stays readable); callers that change jobs refuse it with {@link jobDeleted}.
 *
 * @throws CarillonError `CARILLON_FORBIDDEN` (also for a job that does not exist, unless the
 *   caller is an admin), `CARILLON_NOT_FOUND` (admins only).
 */
export async function loadJob(
  ctx: ConsoleContext,
  user: User,
  id: number,
  needed: 'viewer' | 'editor',
): Promise<Job> {
  const job = await ctx.stores.jobs.get(id);
  await ctx.access.require(user, job?.groupId, needed, jobNotFound(id));
  if (job === undefined) throw jobNotFound(id)();
  return job;
}

// Parameters may be large and may hold secrets: the audit row records their size only.
function auditedChanges(update: JobUpdate): object {
  if (update.param === undefined) return update;
  const param = update.param === null ? null : `(${Buffer.byteLength(update.param, 'utf8')} bytes)`;
  return { ...update, param };
}

/** The jobs of every task group `user` holds a role on (an admin: every group), by id. */
async function visibleJobs(ctx: ConsoleContext, user: User): Promise<Job[]> {
  const roles = await ctx.stores.groups.rolesOf(user.id);
  const groups = await ctx.stores.groups.list();
  const visible = user.isAdmin ? groups : groups.filter((g) => roles.has(g.id));
  const jobs: Job[] = [];
  for (const group of visible) jobs.push(...(await ctx.stores.jobs.listByGroup(group.id)));
  return jobs.sort((a, b) => a.id - b.id);
}

/**
 * Reads and fenced writes a change that names no version makes before it answers 409: each
 * lost a race with another change of the job (a leader re-assigning its holders, mostly).
 */
export const UNVERSIONED_ATTEMPTS = 5;

/** A 409 for a change to a deleted job. */
export function jobDeleted(id: number): CarillonError {
  return conflict(`job ${id} is deleted`);
}

/**
 * Job routes: create (editor of the group), list by group and get (viewer), update (editor,
 * fenced by version). Enable, disable, delete, trigger and next are in `job-actions.ts`.
 */
export function registerJobRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const { stores, access, settings, logger } = ctx;

  // The first holders this console chose, by ServerGroup: each new job's first holder (the
  // one that claims its fires) is the server this console made first least often, so the
  // jobs it creates spread evenly (at random, the busiest of three got 37 % of them). Several
  // consoles each spread their own; a count over every job would cost a scan per job created.
  const firstChosen = new Map<string, Map<string, number>>();

  // Holders are the live servers of the group's ServerGroup, spread over rooms; none when no
  // server is live: servers fill the holders in when they come.
  async function holdersFor(group: TaskGroup): Promise<string[]> {
    try {
      const servers = await ctx.coordinator.listServers(group.cluster, group.serverGroup);
      const key = `${group.cluster}-${group.serverGroup}`;
      const firstOf = firstChosen.get(key) ?? new Map<string, number>();
      firstChosen.set(key, firstOf);
      const holders = chooseHolders(
        servers.map((s) => ({ serverId: s.serverId, room: s.room })),
        group.backups,
        { firstOf },
      );
      countFirstHolder(firstOf, holders);
      return holders;
    } catch (error) {
      logger.warn(
        { err: error, groupId: group.id },
        'no live servers known; job created without holders',
      );
      return [];
    }
  }

  app.post<{ Body: CreateJobBody }>(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Create a job (editor)',
        description:
          'Defaults: description "", param null, timeoutMs 0 (none), overlap allow, misfire fire_once, routing least_loaded, kind simple, maxRetries 0, dispatchTimeoutMs 60000, onClientLost retry, routeLabels [] and routeRoom null (no pin), retryBackoff exponential, retryDelayMs 1000, retryMaxDelayMs 86400000, retryJitter 0, subtaskMaxRetries 0 (subtask retry fields as for executions), shardCount 0 and shardParams [] (a `sharded` job needs shardCount 1..1000), enabled true, trigger.timeZone UTC. retryMaxDelayMs below retryDelayMs is a 400. Holders are chosen among the live servers of the group\'s ServerGroup.',
        body: createJobSchema(settings.maxParamBytes),
        response: { 201: ref('Job'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { user } = ctx.auth.userOf(request);
      const body = request.body;
      const groupId = checkGroupId(body.groupId);
      await access.requireGroup(user, groupId, 'editor', groupNotFound(groupId));
      const group = await stores.groups.get(groupId);
      if (group === undefined) throw groupNotFound(groupId)();
      const spec: JobSpec = {
        groupId,
        name: body.name,
        description: body.description ?? JOB_DEFAULTS.description,
        trigger: checkTrigger(body.trigger, ctx.clock.now()),
        handler: body.handler,
        kind: body.kind ?? JOB_DEFAULTS.kind,
        param: checkParam('param', body.param ?? null, settings.maxParamBytes),
        routing: body.routing ?? JOB_DEFAULTS.routing,
        overlap: body.overlap ?? JOB_DEFAULTS.overlap,
        misfire: body.misfire ?? JOB_DEFAULTS.misfire,
        timeoutMs: body.timeoutMs ?? JOB_DEFAULTS.timeoutMs,
        maxRetries: body.maxRetries ?? JOB_DEFAULTS.maxRetries,
        dispatchTimeoutMs: body.dispatchTimeoutMs ?? JOB_DEFAULTS.dispatchTimeoutMs,
        onClientLost: body.onClientLost ?? JOB_DEFAULTS.onClientLost,
        routeLabels: body.routeLabels ?? JOB_DEFAULTS.routeLabels,
        routeRoom: body.routeRoom ?? JOB_DEFAULTS.routeRoom,
        retryBackoff: body.retryBackoff ?? JOB_DEFAULTS.retryBackoff,
        retryDelayMs: body.retryDelayMs ?? JOB_DEFAULTS.retryDelayMs,
        retryMaxDelayMs: body.retryMaxDelayMs ?? JOB_DEFAULTS.retryMaxDelayMs,
        retryJitter: body.retryJitter ?? JOB_DEFAULTS.retryJitter,
        subtaskMaxRetries: body.subtaskMaxRetries ?? JOB_DEFAULTS.subtaskMaxRetries,
        subtaskRetryBackoff: body.subtaskRetryBackoff ?? JOB_DEFAULTS.subtaskRetryBackoff,
        subtaskRetryDelayMs: body.subtaskRetryDelayMs ?? JOB_DEFAULTS.subtaskRetryDelayMs,
        subtaskRetryMaxDelayMs: body.subtaskRetryMaxDelayMs ?? JOB_DEFAULTS.subtaskRetryMaxDelayMs,
        subtaskRetryJitter: body.subtaskRetryJitter ?? JOB_DEFAULTS.subtaskRetryJitter,
        shardCount: body.shardCount ?? JOB_DEFAULTS.shardCount,
        shardParams: body.shardParams === undefined ? [] : parseShardParams(body.shardParams),
      };
      const holders = await holdersFor(group);
      const job = await ctx.commitChange(actorOf(user), async (tx, audit) => {
        const now = ctx.clock.now();
        let created = await tx.jobs.create(spec, holders, now);
        if (body.enabled === false) {
          const disabled = await tx.jobs.setStatus(created.id, created.version, 'disabled', now);
          if (disabled === undefined)
            throw new Error(`job ${created.id} changed inside its creating transaction`);
          created = disabled;
        }
        await audit('job:create', `job:${created.id}`, {
          groupId,
          name: spec.name,
          trigger: spec.trigger,
          handler: spec.handler,
          status: created.status,
          holders,
        });
        return created;
      });
      await ctx.notifyGroupChanged(groupId);
      return reply.code(201).send(job);
    },
  );

  app.get<{ Querystring: { groupId?: string } }>(
    '/jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'List the jobs of a task group (viewer), or of every group the caller may see',
        description:
          'Deleted jobs are left out. Without `groupId`: the jobs of every task group the caller holds a role on (an admin: all groups), by id.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { groupId: { type: 'string', minLength: 1, maxLength: 64 } },
        },
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: ref('Job') } },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      if (request.query.groupId === undefined) return { items: await visibleJobs(ctx, user) };
      const groupId = checkGroupId(request.query.groupId);
      await access.requireGroup(user, groupId, 'viewer', groupNotFound(groupId));
      return { items: await stores.jobs.listByGroup(groupId) };
    },
  );

  app.get<{ Params: { id: number } }>(
    '/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Get a job (viewer)',
        description: 'A deleted job is still returned, with status deleted.',
        params: jobIdParams,
        response: { 200: ref('Job'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      return loadJob(ctx, user, request.params.id, 'viewer');
    },
  );

  app.patch<{ Params: { id: number }; Body: UpdateJobBody }>(
    '/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Change a job (editor)',
        description:
          'Sets the fields given, leaves the others. Send `version` to refuse the change (409) if someone changed the job since you read it. The group cannot change.',
        params: jobIdParams,
        body: updateJobSchema(settings.maxParamBytes),
        response: { 200: ref('Job'), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const { id } = request.params;
      const job = await loadJob(ctx, user, id, 'editor');
      const { version, ...fields } = request.body;
      if (Object.keys(fields).length === 0) throw invalidArgument('body', 'no field to change');
      if (job.status === 'deleted') throw jobDeleted(id);
      const expected = version ?? job.version;
      if (expected !== job.version) {
        throw conflict(
          `job ${id} is at version ${job.version}, not ${expected}; reload it and retry`,
          {
            version: job.version,
          },
        );
      }
      const update: { -readonly [K in keyof JobUpdate]: JobUpdate[K] } = {};
      if (fields.name !== undefined) update.name = fields.name;
      if (fields.description !== undefined) update.description = fields.description;
      if (fields.trigger !== undefined)
        update.trigger = checkTrigger(fields.trigger, ctx.clock.now());
      if (fields.handler !== undefined) update.handler = fields.handler;
      if (fields.param !== undefined)
        update.param = checkParam('param', fields.param, settings.maxParamBytes);
      if (fields.timeoutMs !== undefined) update.timeoutMs = fields.timeoutMs;
      if (fields.overlap !== undefined) update.overlap = fields.overlap;
      if (fields.misfire !== undefined) update.misfire = fields.misfire;
      if (fields.routing !== undefined) update.routing = fields.routing;
      if (fields.kind !== undefined) update.kind = fields.kind;
      if (fields.maxRetries !== undefined) update.maxRetries = fields.maxRetries;
      if (fields.dispatchTimeoutMs !== undefined)
        update.dispatchTimeoutMs = fields.dispatchTimeoutMs;
      if (fields.onClientLost !== undefined) update.onClientLost = fields.onClientLost;
      for (const field of ROUTING_RETRY_FIELDS)
        if (fields[field] !== undefined) Object.assign(update, { [field]: fields[field] });
      if (fields.shardCount !== undefined) update.shardCount = fields.shardCount;
      if (fields.shardParams !== undefined)
        update.shardParams = parseShardParams(fields.shardParams);
      // Without `version` the change applies to the job as it is: a version bump between the
      // read and the fenced write (a leader re-assigning holders, another console) is read
      // again and the change tried again, as enable and disable do.
      for (let attempt = 1, base = expected; ; attempt++) {
        const updated = await ctx.commitChange(actorOf(user), async (tx, audit) => {
          const result = await tx.jobs.update(id, base, update, ctx.clock.now());
          if (result !== undefined)
            await audit('job:update', `job:${id}`, {
              fromVersion: base,
              changes: auditedChanges(update),
            });
          return result;
        });
        if (updated !== undefined) {
          await ctx.notifyGroupChanged(job.groupId);
          return updated;
        }
        if (version !== undefined || attempt >= UNVERSIONED_ATTEMPTS) {
          throw conflict(`job ${id} changed while it was being updated; reload it and retry`);
        }
        const current = await loadJob(ctx, user, id, 'editor');
        if (current.status === 'deleted') throw jobDeleted(id);
        base = current.version;
      }
    },
  );
}
