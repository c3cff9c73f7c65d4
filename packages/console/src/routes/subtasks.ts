import type { FastifyInstance } from 'fastify';
import type { Subtask, SubtaskState } from '@carillon/core';
import { SUBTASK_STATES, isExecutionId } from '@carillon/core';
import type { ConsoleContext } from '../console-context.js';
import { invalidArgument, notFound } from '../errors.js';
import { errorResponses, ref } from '../validation/shared-schemas.js';
import { executionIdParams, loadExecution } from './executions.js';

/** Page sizes of subtask lists, and how much of a long text field a list shows. */
export const SUBTASK_PAGE = { default: 100, max: 1000, previewChars: 500 } as const;

/** The fields a list may cut short. */
type CutField = 'payload' | 'result' | 'reason';

/** A subtask as the API answers it. */
export type SubtaskView = Subtask & { readonly truncated: readonly CutField[] };

function parseStates(text: string | undefined): SubtaskState[] | undefined {
  if (text === undefined) return undefined;
  const states = text.split(',').map((s) => s.trim());
  for (const s of states) {
    if (!(SUBTASK_STATES as readonly string[]).includes(s)) {
      throw invalidArgument(
        'query.state',
        `unknown state "${s}"; expected a comma-separated list of ${SUBTASK_STATES.join(', ')}`,
      );
    }
  }
  return states as SubtaskState[];
}

/** `text` cut to its first `max` code points, or undefined if it is not longer. */
function cut(text: string, max: number): string | undefined {
  // Code points never outnumber UTF-16 units, so short text needs no counting.
  if (text.length <= max) return undefined;
  let units = 0;
  let points = 0;
  for (const point of text) {
    if (points === max) return text.slice(0, units);
    units += point.length;
    points += 1;
  }
  return undefined;
}

/**
 * A subtask with its long text fields cut for a list: a page of 1000 subtasks with 1 MiB
 * payloads would otherwise be a gigabyte.
 */
function preview(subtask: Subtask): SubtaskView {
  const truncated: CutField[] = [];
  const shorten = (field: CutField, text: string | null): string | null => {
    if (text === null) return null;
    const short = cut(text, SUBTASK_PAGE.previewChars);
    if (short === undefined) return text;
    truncated.push(field);
    return short;
  };
  const payload = shorten('payload', subtask.payload) ?? '';
  const result = shorten('result', subtask.result);
  const reason = shorten('reason', subtask.reason);
  return { ...subtask, payload, result, reason, truncated };
}

interface ListQuery {
  state?: string;
  after?: number;
  limit?: number;
}

/**
 * Subtask routes of parallel executions: a keyset-paged list by position with a state filter,
 * and one subtask whole. Both need what reading the execution needs (viewer of its group).
 */
export function registerSubtaskRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const { stores } = ctx;

  app.get<{ Params: { id: string }; Querystring: ListQuery }>(
    '/executions/:id/subtasks',
    {
      schema: {
        tags: ['executions'],
        summary: 'Subtasks of a parallel execution, by position (viewer)',
        description: `Pass \`nextAfter\` back as \`after\` for the next page; it is null on the last page. \`payload\`, \`result\` and \`reason\` are cut to their first ${SUBTASK_PAGE.previewChars} characters (\`truncated\` names them); read the subtask itself for the whole text.`,
        params: executionIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: {
              type: 'string',
              minLength: 1,
              maxLength: 200,
              description: `Comma-separated, of: ${SUBTASK_STATES.join(', ')}.`,
              examples: ['failed,timed_out'],
            },
            after: {
              type: 'integer',
              minimum: 0,
              description: 'Only subtasks after this position (`seq`).',
            },
            limit: {
              type: 'integer',
              minimum: 1,
              maximum: SUBTASK_PAGE.max,
              default: SUBTASK_PAGE.default,
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items', 'nextAfter'],
            properties: {
              items: { type: 'array', items: ref('Subtask') },
              nextAfter: { type: ['integer', 'null'] },
            },
          },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const states = parseStates(request.query.state);
      const execution = await loadExecution(ctx, request, request.params.id, 'viewer');
      const limit = request.query.limit ?? SUBTASK_PAGE.default;
      const query = {
        ...(states === undefined ? {} : { states }),
        afterSeq: request.query.after ?? 0,
      };
      const items = await stores.subtasks.listByExecution(execution.id, { ...query, limit });
      const last = items[items.length - 1];
      // A full page may be the last one: look one row ahead, so that nextAfter is null exactly
      // when there is nothing more (a client never reads an empty page to learn it).
      const more =
        last !== undefined &&
        items.length === limit &&
        (
          await stores.subtasks.listByExecution(execution.id, {
            ...query,
            afterSeq: last.seq,
            limit: 1,
          })
        ).length > 0;
      return { items: items.map(preview), nextAfter: more ? last.seq : null };
    },
  );

  app.get<{ Params: { id: string; subtaskId: string } }>(
    '/executions/:id/subtasks/:subtaskId',
    {
      schema: {
        tags: ['executions'],
        summary: 'One subtask of an execution, with its whole payload and result (viewer)',
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'subtaskId'],
          properties: {
            id: executionIdParams.properties.id,
            subtaskId: { type: 'string', minLength: 1, maxLength: 64, description: 'A UUID.' },
          },
        },
        response: { 200: ref('Subtask'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { id, subtaskId } = request.params;
      const execution = await loadExecution(ctx, request, id, 'viewer');
      // Subtask ids are lowercase UUIDs, the same shape as execution ids.
      const subtask = isExecutionId(subtaskId) ? await stores.subtasks.get(subtaskId) : undefined;
      if (subtask === undefined || subtask.executionId !== execution.id) {
        throw notFound(`subtask ${subtaskId} of execution ${execution.id}`);
      }
      return { ...subtask, truncated: [] };
    },
  );
}
