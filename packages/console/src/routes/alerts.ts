import type { FastifyInstance } from 'fastify';
import type { AlertDelivery, AlertMessage, AlertRule, NewAlertRule } from '@carillon/core';
import { ALERT_TRIGGERS, CarillonError, CoreErrorCode } from '@carillon/core';
import { actorOf } from '../auth/principal.js';
import type { ConsoleContext } from '../console-context.js';
import { ConsoleErrorCode, notFound } from '../errors.js';
import { errorResponses } from '../validation/shared-schemas.js';
import { checkGroupId, groupNotFound } from './groups.js';

/**
 * Delivers one alert now, with the retries and record of a real one: the "send a test" action.
 * The CLI wires the server package's deliverer in; without one the action answers 503.
 */
export type AlertTester = (rule: AlertRule, message: AlertMessage) => Promise<AlertDelivery>;

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

const ruleSchema = {
  type: 'object',
  required: ['id', 'groupId', 'jobId', 'name', 'triggers', 'channel', 'target', 'hasSecret'],
  properties: {
    id: { type: 'integer' },
    groupId: { type: 'string' },
    jobId: { type: ['integer', 'null'] },
    name: { type: 'string' },
    triggers: { type: 'array', items: { type: 'string', enum: [...ALERT_TRIGGERS] } },
    channel: { type: 'string', enum: ['webhook', 'email'] },
    target: { type: 'string' },
    hasSecret: { type: 'boolean', description: 'The secret itself is never shown.' },
    minIntervalMs: { type: 'integer' },
    enabled: { type: 'boolean' },
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
  },
} as const;

const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    ruleId: { type: 'integer' },
    trigger: { type: 'string' },
    jobId: { type: ['integer', 'null'] },
    executionId: { type: ['string', 'null'] },
    state: { type: 'string', enum: ['pending', 'delivered', 'failed', 'suppressed'] },
    attempts: { type: 'integer' },
    lastError: { type: ['string', 'null'] },
    createdAt: { type: 'integer' },
    finishedAt: { type: ['integer', 'null'] },
  },
} as const;

const groupParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const ruleParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'ruleId'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 64 },
    ruleId: { type: 'integer', minimum: 1 },
  },
} as const;

interface NewRuleBody {
  name: string;
  jobId?: number;
  triggers: string[];
  channel: 'webhook' | 'email';
  target: string;
  secret?: string;
  minIntervalMs?: number;
  enabled?: boolean;
}

function view(rule: AlertRule): object {
  const { secret, ...rest } = rule;
  return { ...rest, hasSecret: secret !== null };
}

function invalid(field: string, message: string): CarillonError {
  return new CarillonError(CoreErrorCode.InvalidArgument, `${field}: ${message}`, {
    details: { field },
  });
}

/** Checks what a schema cannot: the target fits the channel, a webhook has a secret. */
function checkTarget(body: NewRuleBody): void {
  if (body.channel === 'webhook') {
    let url: URL | undefined;
    try {
      url = new URL(body.target);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:'))
      throw invalid('target', 'a webhook target must be an http or https URL');
    if (body.secret === undefined)
      throw invalid('secret', 'a webhook needs a secret (16 to 256 characters) to sign with');
  } else {
    const addresses = body.target.split(',').map((a) => a.trim());
    if (addresses.length > 20 || !addresses.every((a) => EMAIL.test(a)))
      throw invalid('target', 'an e-mail target is 1 to 20 comma-separated addresses');
    if (body.secret !== undefined) throw invalid('secret', 'only webhooks have a secret');
  }
}

/**
 * Alert rules of a task group under `/api/v1/groups/:id/alerts`: create, change and delete (editor),
 * list them and their deliveries (viewer), send a test (editor). Registered in a scope of its
 * own that authenticates like the rest of `/api/v1`.
 */
export async function registerAlertRoutes(
  app: FastifyInstance,
  ctx: ConsoleContext,
  tester: AlertTester | undefined,
): Promise<void> {
  await app.register(
    (api, _opts, done) => {
      api.addHook('onRequest', async (request) => {
        await ctx.auth.authenticate(request);
      });
      routes(api, ctx, tester);
      done();
    },
    { prefix: '/api/v1' },
  );
}

function routes(app: FastifyInstance, ctx: ConsoleContext, tester: AlertTester | undefined): void {
  const { stores, access } = ctx;

  const ruleOf = async (groupId: string, ruleId: number): Promise<AlertRule> => {
    const rule = await stores.alerts.getRule(ruleId);
    if (rule === undefined || rule.groupId !== groupId)
      throw notFound(`alert rule ${ruleId} of task group ${groupId}`);
    return rule;
  };

  app.post<{ Params: { id: string }; Body: NewRuleBody }>(
    '/groups/:id/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Create an alert rule for a task group or one of its jobs (editor)',
        description:
          'On any of `triggers`, POST a JSON body signed with HMAC-SHA256 of `secret` (header `X-Carillon-Signature: sha256=<hex>`) to a webhook, or e-mail the addresses in `target`; at most one alert per `minIntervalMs` (default 60,000), more are recorded as suppressed.',
        params: groupParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'triggers', 'channel', 'target'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 128 },
            jobId: { type: 'integer', minimum: 1, description: 'Only this job of the group.' },
            triggers: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: { type: 'string', enum: [...ALERT_TRIGGERS] },
            },
            channel: { type: 'string', enum: ['webhook', 'email'] },
            target: { type: 'string', minLength: 1, maxLength: 2048 },
            secret: { type: 'string', minLength: 16, maxLength: 256 },
            minIntervalMs: { type: 'integer', minimum: 0, maximum: 604_800_000 },
            enabled: { type: 'boolean' },
          },
        },
        response: { 201: ruleSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { user } = ctx.auth.userOf(request);
      const groupId = checkGroupId(request.params.id);
      await access.requireGroup(user, groupId, 'editor', groupNotFound(groupId));
      const body = request.body;
      checkTarget(body);
      if (body.jobId !== undefined) {
        const job = await stores.jobs.get(body.jobId);
        if (job === undefined || job.groupId !== groupId || job.status === 'deleted')
          throw invalid('jobId', `job ${body.jobId} is not a job of task group ${groupId}`);
      }
      const rule: NewAlertRule = {
        groupId,
        jobId: body.jobId ?? null,
        name: body.name,
        triggers: body.triggers as NewAlertRule['triggers'],
        channel: body.channel,
        target: body.target.trim(),
        secret: body.secret ?? null,
        minIntervalMs: body.minIntervalMs ?? 60_000,
        enabled: body.enabled ?? true,
      };
      const created = await ctx.commitChange(actorOf(user), async (tx, audit) => {
        const made = await tx.alerts.createRule(rule, ctx.clock.now());
        await audit('alert:create', `group:${groupId}`, {
          ruleId: made.id,
          name: made.name,
          jobId: made.jobId,
          triggers: made.triggers,
          channel: made.channel,
          target: made.target,
        });
        return made;
      });
      return reply.code(201).send(view(created));
    },
  );

  app.patch<{
    Params: { id: string; ruleId: number };
    Body: { name?: string; triggers?: string[]; minIntervalMs?: number; enabled?: boolean };
  }>(
    '/groups/:id/alerts/:ruleId',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Change an alert rule: name, triggers, rate limit, enabled (editor)',
        description:
          'The channel, target and secret do not change: delete the rule and create another.',
        params: ruleParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 128 },
            triggers: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: { type: 'string', enum: [...ALERT_TRIGGERS] },
            },
            minIntervalMs: { type: 'integer', minimum: 0, maximum: 604_800_000 },
            enabled: { type: 'boolean' },
          },
        },
        response: { 200: ruleSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const groupId = checkGroupId(request.params.id);
      await access.requireGroup(user, groupId, 'editor', groupNotFound(groupId));
      const rule = await ruleOf(groupId, request.params.ruleId);
      const { triggers, ...rest } = request.body;
      const patch = {
        ...rest,
        ...(triggers === undefined ? {} : { triggers: triggers as NewAlertRule['triggers'] }),
      };
      const updated = await ctx.commitChange(actorOf(user), async (tx, audit) => {
        const changed = await tx.alerts.updateRule(rule.id, patch, ctx.clock.now());
        await audit('alert:update', `group:${groupId}`, { ruleId: rule.id, ...patch });
        return changed;
      });
      if (updated === undefined) throw notFound(`alert rule ${rule.id} of task group ${groupId}`);
      return view(updated);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/groups/:id/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'List the alert rules of a task group (viewer)',
        params: groupParams,
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: ruleSchema } } },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const groupId = checkGroupId(request.params.id);
      await access.requireGroup(user, groupId, 'viewer', groupNotFound(groupId));
      return { items: (await stores.alerts.listRules(groupId)).map(view) };
    },
  );

  app.delete<{ Params: { id: string; ruleId: number } }>(
    '/groups/:id/alerts/:ruleId',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Delete an alert rule and its deliveries (editor)',
        params: ruleParams,
        response: {
          204: { type: 'null', description: 'Deleted.' },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const { user } = ctx.auth.userOf(request);
      const groupId = checkGroupId(request.params.id);
      await access.requireGroup(user, groupId, 'editor', groupNotFound(groupId));
      const rule = await ruleOf(groupId, request.params.ruleId);
      await ctx.commitChange(actorOf(user), async (tx, audit) => {
        await tx.alerts.deleteRule(rule.id);
        await audit('alert:delete', `group:${groupId}`, { ruleId: rule.id });
      });
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string; ruleId: number } }>(
    '/groups/:id/alerts/:ruleId/deliveries',
    {
      schema: {
        tags: ['alerts'],
        summary: 'The latest 100 deliveries of an alert rule, newest first (viewer)',
        params: ruleParams,
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: deliverySchema } } },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const groupId = checkGroupId(request.params.id);
      await access.requireGroup(user, groupId, 'viewer', groupNotFound(groupId));
      const rule = await ruleOf(groupId, request.params.ruleId);
      return { items: await stores.alerts.listDeliveries(rule.id, 100) };
    },
  );

  app.post<{ Params: { id: string; ruleId: number } }>(
    '/groups/:id/alerts/:ruleId/test',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Send a test alert through a rule now, and wait for the outcome (editor)',
        description:
          'Not rate limited; retried like a real alert. The answer is the recorded delivery: `delivered` or `failed` with the last error.',
        params: ruleParams,
        response: { 200: deliverySchema, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const groupId = checkGroupId(request.params.id);
      await access.requireGroup(user, groupId, 'editor', groupNotFound(groupId));
      const rule = await ruleOf(groupId, request.params.ruleId);
      if (tester === undefined)
        throw new CarillonError(
          ConsoleErrorCode.Unavailable,
          'this console cannot deliver alerts (no alert delivery configured)',
        );
      await stores.audit.append({
        at: ctx.clock.now(),
        actor: actorOf(user),
        action: 'alert:test',
        target: `group:${groupId}`,
        detail: JSON.stringify({ ruleId: rule.id }),
      });
      return tester(rule, {
        trigger: 'test',
        ruleId: rule.id,
        groupId,
        jobId: rule.jobId,
        executionId: null,
        scheduledAt: null,
        reason: `a test of alert rule "${rule.name}", sent by ${actorOf(user)}`,
        at: ctx.clock.now(),
      });
    },
  );
}
