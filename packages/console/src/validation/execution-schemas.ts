import { EXECUTION_CAUSES, EXECUTION_STATES, LogLevel, SUBTASK_STATES } from '@carillon/core';
import { ms, nullableMs } from './schema-parts.js';

// The shared schemas of executions, their subtasks and logs (see shared-schemas.ts).

export const Execution = {
  $id: 'Execution',
  type: 'object',
  description: 'One fire of a job. Instants are ms since the epoch (UTC).',
  required: [
    'id',
    'jobId',
    'groupId',
    'scheduledAt',
    'cause',
    'state',
    'attempt',
    'ownerServerId',
    'param',
    'clientId',
    'createdAt',
    'dispatchedAt',
    'startedAt',
    'finishedAt',
    'result',
    'reason',
    'progress',
    'cancelRequestedAt',
  ],
  properties: {
    id: { type: 'string', description: 'A UUID v7.' },
    jobId: { type: 'integer' },
    groupId: { type: 'string' },
    scheduledAt: ms('When the fire was due (manual fires: when it was asked for).'),
    cause: { type: 'string', enum: EXECUTION_CAUSES },
    state: { type: 'string', enum: EXECUTION_STATES },
    attempt: { type: 'integer', description: 'Starts at 1; each re-dispatch adds one.' },
    ownerServerId: { type: ['string', 'null'] },
    param: { type: ['string', 'null'] },
    clientId: { type: ['string', 'null'] },
    createdAt: ms('ms since the epoch'),
    dispatchedAt: nullableMs('ms since the epoch'),
    startedAt: nullableMs('ms since the epoch'),
    finishedAt: nullableMs('ms since the epoch'),
    result: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'], description: 'Why it failed, was skipped or cancelled.' },
    progress: { type: ['number', 'null'] },
    cancelRequestedAt: nullableMs('When a user asked to cancel it.'),
  },
} as const;

// Counts of an execution's subtasks by state; `total` is their sum.
export const SubtaskProgress = {
  $id: 'SubtaskProgress',
  type: 'object',
  description:
    "How many of a parallel execution's subtasks are in each state. `total` is the sum; done = `succeeded`, failed = `failed` + `timedOut` + `cancelled`.",
  required: [
    'total',
    'pending',
    'dispatched',
    'running',
    'succeeded',
    'failed',
    'timedOut',
    'cancelled',
  ],
  properties: {
    total: { type: 'integer' },
    pending: { type: 'integer' },
    dispatched: { type: 'integer' },
    running: { type: 'integer' },
    succeeded: { type: 'integer' },
    failed: { type: 'integer' },
    timedOut: { type: 'integer' },
    cancelled: { type: 'integer' },
  },
} as const;

// The detail answer: an execution with its subtask counts, which lists leave out (one more
// query per row).
export const ExecutionDetail = {
  $id: 'ExecutionDetail',
  type: 'object',
  description:
    'An execution with `subtaskProgress`: its subtasks counted by state for an execution of a parallel job (or any execution that has subtasks), null otherwise.',
  required: [...Execution.required, 'subtaskProgress'],
  properties: {
    ...Execution.properties,
    subtaskProgress: { anyOf: [{ $ref: 'SubtaskProgress#' }, { type: 'null' }] },
  },
} as const;

export const Subtask = {
  $id: 'Subtask',
  type: 'object',
  description:
    "A unit of a parallel job's second level. In lists, `payload`, `result` and `reason` are cut to their first 500 characters and `truncated` names the ones that were; the subtask's own route answers them whole.",
  required: [
    'id',
    'executionId',
    'seq',
    'payload',
    'state',
    'attempt',
    'clientId',
    'createdAt',
    'dispatchedAt',
    'startedAt',
    'finishedAt',
    'result',
    'reason',
    'truncated',
  ],
  properties: {
    id: { type: 'string', description: 'A UUID.' },
    executionId: { type: 'string' },
    seq: { type: 'integer', description: 'Position in its execution, from 1.' },
    payload: { type: 'string', description: 'What `dispatch(ctx)` returned for it.' },
    state: { type: 'string', enum: SUBTASK_STATES },
    attempt: { type: 'integer', description: 'Starts at 1; each re-dispatch adds one.' },
    clientId: { type: ['string', 'null'] },
    createdAt: ms('ms since the epoch'),
    dispatchedAt: nullableMs('ms since the epoch'),
    startedAt: nullableMs('ms since the epoch'),
    finishedAt: nullableMs('ms since the epoch'),
    result: { type: ['string', 'null'] },
    reason: { type: ['string', 'null'], description: 'Why it failed or was cancelled.' },
    truncated: {
      type: 'array',
      items: { type: 'string', enum: ['payload', 'result', 'reason'] },
      description: 'The fields cut short in this answer (always empty from the subtask route).',
    },
  },
} as const;

export const ExecutionLog = {
  $id: 'ExecutionLog',
  type: 'object',
  required: ['executionId', 'seq', 'at', 'level', 'message'],
  properties: {
    executionId: { type: 'string' },
    seq: { type: 'integer' },
    at: ms('ms since the epoch'),
    level: { type: 'string', enum: Object.values(LogLevel) },
    message: { type: 'string' },
  },
} as const;
