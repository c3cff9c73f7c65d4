import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Execution, ExecutionState } from '@carillon/core';
import { EXECUTION_STATES, isExecutionId, isFinal } from '@carillon/core';
import { actorOf } from '../auth/principal.js';
import type { ConsoleContext } from '../console-context.js';
import { conflict, invalidArgument, notFound } from '../errors.js';
import { errorResponses, ref } from '../validation/shared-schemas.js';
import { checkGroupId, groupNotFound } from './groups.js';
import { jobNotFound } from './jobs.js';
import { subtaskProgressOf } from './subtask-progress.js';

/** Page sizes of execution lists and log reads. */
export const EXECUTION_PAGE = { default: 50, max: 500, logsDefault: 500, logsMax: 1000 } as const;

/** The path parameters of routes under `/executions/:id`. */
export const executionIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64, description: 'A UUID.' } },
} as const;

const executionNotFound = (id: string) => () => notFound(`execution ${id}`);

/**
 * The execution `id` if the caller has `needed` on its group. A caller without a role on the
 * group gets the same 403 whether the execution exists or not.
 *
 * @throws CarillonError 403 without the role, 404 (to those who may know) if there is none.
 */
export async function loadExecution(
  ctx: ConsoleContext,
  request: FastifyRequest,
  id: string,
  needed: 'viewer' | 'editor',
): Promise<Execution> {
  const { user } = ctx.auth.userOf(request);
  const execution = isExecutionId(id) ? await ctx.stores.executions.get(id) : undefined;
  await ctx.access.require(user, execution?.groupId, needed, executionNotFound(id));
  if (execution === undefined) throw executionNotFound(id)();
  return execution;
}

function parseStates(text: string | undefined): ExecutionState[] | undefined {
  if (text === undefined) return undefined;
  const states = text.split(',').map((s) => s.trim());
  for (const s of states) {
    if (!(EXECUTION_STATES as readonly string[]).includes(s)) {
      throw invalidArgument(
        'query.state',
        `unknown state "${s}"; expected a comma-separated list of ${EXECUTION_STATES.join(', ')}`,
      );
    }
  }
  return states as ExecutionState[];
}

interface ListQuery {
  jobId?: number;
  groupId?: string;
  state?: string;
  limit?: number;
  cursor?: string;
  from?: number;
  to?: number;
}

/**
 * Execution routes: list with filters and a cursor, get, logs (viewer of the job's group), and
 * cancel (editor).
 */
export function registerExecutionRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const { stores, access } = ctx;

  const load = (request: FastifyRequest, id: string, needed: 'viewer' | 'editor') =>
    loadExecution(ctx, request, id, needed);

  app.get<{ Querystring: ListQuery }>(
    '/executions',
    {
      schema: {
        tags: ['executions'],
        summary: 'List executions, newest scheduled first (viewer)',
        description:
          'Filter by `jobId` or `groupId` (one is required, except for admins), and by `state` (comma-separated). Pass `nextCursor` back as `cursor` for the next page; it is null on the last page.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            jobId: { type: 'integer', minimum: 1 },
            groupId: { type: 'string', minLength: 1, maxLength: 64 },
            state: {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              description: `Comma-separated, of: ${EXECUTION_STATES.join(', ')}.`,
              examples: ['failed,timed_out'],
            },
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: EXECUTION_PAGE.max,
              default: EXECUTION_PAGE.default,
            },
            cursor: { type: 'string', minLength: 1, maxLength: 512 },
            from: {
              type: 'integer',
              minimum: 0,
              description: 'Only executions scheduled at or after this instant (ms).',
            },
            to: {
              type: 'integer',
              minimum: 0,
              description: 'Only executions scheduled before this instant (ms).',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items', 'nextCursor'],
            properties: {
              items: { type: 'array', items: ref('Execution') },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { user } = ctx.auth.userOf(request);
      const { jobId, state, limit, cursor, from, to } = request.query;
      const groupId =
        request.query.groupId === undefined ? undefined : checkGroupId(request.query.groupId);
      const states = parseStates(state);
      if (jobId !== undefined) {
        const job = await stores.jobs.get(jobId);
        await access.require(user, job?.groupId, 'viewer', jobNotFound(jobId));
      } else if (groupId !== undefined) {
        await access.requireGroup(user, groupId, 'viewer', groupNotFound(groupId));
      } else if (!user.isAdmin) {
        throw invalidArgument('query', 'jobId or groupId is required');
      }
      return stores.executions.page({
        ...(jobId === undefined ? {} : { jobId }),
        ...(groupId === undefined ? {} : { groupId }),
        ...(states === undefined ? {} : { states }),
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        limit: limit ?? EXECUTION_PAGE.default,
        cursor: cursor ?? null,
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/executions/:id',
    {
      schema: {
        tags: ['executions'],
        summary: 'Get an execution, with its subtask progress (viewer)',
        description:
          '`subtaskProgress` counts the subtasks by state for an execution of a parallel or sharded job (or any execution that has subtasks: a broadcast fire has one per client); it is null for the others.',
        params: executionIdParams,
        response: { 200: ref('ExecutionDetail'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const execution = await load(request, request.params.id, 'viewer');
      return { ...execution, subtaskProgress: await subtaskProgressOf(stores, execution) };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { afterSeq?: number; limit?: number } }>(
    '/executions/:id/logs',
    {
      schema: {
        tags: ['executions'],
        summary: 'Log lines of an execution, in order (viewer)',
        description:
          'Pass the last `seq` seen as `afterSeq` to read on (or to follow a running execution).',
        params: executionIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            afterSeq: { type: 'integer', minimum: 0 },
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: EXECUTION_PAGE.logsMax,
              default: EXECUTION_PAGE.logsDefault,
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: ref('ExecutionLog') } },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const execution = await load(request, request.params.id, 'viewer');
      const { afterSeq, limit } = request.query;
      return {
        items: await stores.executions.listLogs(
          execution.id,
          afterSeq,
          limit ?? EXECUTION_PAGE.logsDefault,
        ),
      };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/executions/:id/cancel',
    {
      schema: {
        tags: ['executions'],
        summary: 'Ask to cancel an unfinished execution (editor)',
        description:
          'Records the request; the server that owns the execution cancels it through its client. 409 if it has already finished.',
        params: executionIdParams,
        response: { 202: ref('Execution'), ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const { user } = ctx.auth.userOf(request);
      const execution = await load(request, request.params.id, 'editor');
      if (isFinal(execution.state)) {
        throw conflict(`execution ${execution.id} has already finished (${execution.state})`);
      }
      const updated = await ctx.commitChange(actorOf(user), async (tx, audit) => {
        const result = await tx.executions.requestCancel(execution.id, ctx.clock.now());
        if (result === undefined) throw executionNotFound(execution.id)();
        if (isFinal(result.state)) {
          throw conflict(`execution ${execution.id} has already finished (${result.state})`);
        }
        await audit('execution:cancel', `execution:${execution.id}`, { jobId: execution.jobId });
        return result;
      });
      await ctx.notifyGroupChanged(execution.groupId);
      return reply.code(202).send(updated);
    },
  );
}
