import {
  ClientLostPolicy,
  RetryBackoff,
  GroupRole,
  JobKind,
  JobStatus,
  MisfirePolicy,
  OverlapPolicy,
  RoutingStrategy,
  SessionState,
} from '@carillon/core';

import {
  Execution,
  ExecutionDetail,
  ExecutionLog,
  Subtask,
  SubtaskProgress,
} from './execution-schemas.js';
import { ms } from './schema-parts.js';

// Schemas used by several routes, registered once with `addSchema` and referenced as
// `{ $ref: 'Job#' }`. The OpenAPI document lists them under components.schemas by their $id.

const ErrorResponse = {
  $id: 'ErrorResponse',
  type: 'object',
  description:
    'Every error. `code` is stable (tests and scripts match on it); `message` says what is wrong in words.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', examples: ['CARILLON_INVALID_CRON'] },
        message: { type: 'string' },
        details: {
          type: 'object',
          description: 'Machine-readable facts, such as `field`: the field that is wrong.',
          additionalProperties: { type: ['string', 'number', 'boolean'] },
        },
      },
    },
  },
} as const;

const Trigger = {
  $id: 'Trigger',
  type: 'object',
  description:
    'How the job fires: `cron` (Quartz syntax with seconds, in an IANA time zone) or `api` (only by "trigger").',
  required: ['type'],
  properties: {
    type: { type: 'string', enum: ['cron', 'api'] },
    cron: { type: 'string', description: 'Set when type is cron.', examples: ['0 0/1 * * * ?'] },
    timeZone: { type: 'string', description: 'Set when type is cron.', examples: ['Europe/Paris'] },
  },
} as const;

const Job = {
  $id: 'Job',
  type: 'object',
  required: [
    'id',
    'groupId',
    'name',
    'description',
    'trigger',
    'handler',
    'kind',
    'param',
    'routing',
    'overlap',
    'misfire',
    'timeoutMs',
    'maxRetries',
    'dispatchTimeoutMs',
    'onClientLost',
    'routeLabels',
    'routeRoom',
    'retryBackoff',
    'retryDelayMs',
    'retryMaxDelayMs',
    'retryJitter',
    'subtaskMaxRetries',
    'subtaskRetryBackoff',
    'subtaskRetryDelayMs',
    'subtaskRetryMaxDelayMs',
    'subtaskRetryJitter',
    'shardCount',
    'shardParams',
    'status',
    'holders',
    'createdAt',
    'updatedAt',
    'version',
  ],
  properties: {
    id: { type: 'integer' },
    groupId: { type: 'string', examples: ['101-1-2-6601'] },
    name: { type: 'string' },
    description: { type: 'string' },
    trigger: { $ref: 'Trigger#' },
    handler: { type: 'string', description: 'The job type a client registers.' },
    kind: { type: 'string', enum: Object.values(JobKind) },
    param: { type: ['string', 'null'] },
    routing: { type: 'string', enum: Object.values(RoutingStrategy) },
    overlap: { type: 'string', enum: Object.values(OverlapPolicy) },
    misfire: { type: 'string', enum: Object.values(MisfirePolicy) },
    timeoutMs: { type: 'integer', description: '0: no timeout.' },
    maxRetries: { type: 'integer' },
    dispatchTimeoutMs: {
      type: 'integer',
      description: 'How long after its instant a fire may wait for a client; then skipped.',
    },
    onClientLost: { type: 'string', enum: Object.values(ClientLostPolicy) },
    routeLabels: {
      type: 'array',
      items: { type: 'string' },
      description: 'Clients must declare all of these labels; empty: no pin.',
    },
    routeRoom: {
      type: ['string', 'null'],
      description: 'Clients must be in this room; null: any.',
    },
    retryBackoff: { type: 'string', enum: Object.values(RetryBackoff) },
    retryDelayMs: { type: 'integer', description: 'The first retry delay (ms).' },
    retryMaxDelayMs: { type: 'integer', description: 'The longest retry delay (ms).' },
    retryJitter: {
      type: 'number',
      description: 'Fraction 0..1 of each delay taken off at random.',
    },
    subtaskMaxRetries: { type: 'integer' },
    subtaskRetryBackoff: { type: 'string', enum: Object.values(RetryBackoff) },
    subtaskRetryDelayMs: { type: 'integer' },
    subtaskRetryMaxDelayMs: { type: 'integer' },
    subtaskRetryJitter: { type: 'number' },
    shardCount: { type: 'integer', description: 'Shards per fire of a sharded job; 0 otherwise.' },
    shardParams: {
      type: 'array',
      items: { type: ['string', 'null'] },
      description: "Each shard's parameter by shard index; null: none.",
    },
    status: { type: 'string', enum: Object.values(JobStatus) },
    holders: {
      type: 'array',
      items: { type: 'string' },
      description:
        'The servers that hold the job; empty until a server of its ServerGroup is live.',
    },
    createdAt: ms('ms since the epoch'),
    updatedAt: ms('ms since the epoch'),
    version: {
      type: 'integer',
      description:
        'Bumped on every change; send it back in an update to refuse a concurrent change.',
    },
  },
} as const;

const TaskGroup = {
  $id: 'TaskGroup',
  type: 'object',
  required: ['id', 'cluster', 'serverGroup', 'backups', 'number', 'name', 'createdAt', 'role'],
  properties: {
    id: {
      type: 'string',
      description: 'cluster-serverGroup-backups-number',
      examples: ['101-1-2-6601'],
    },
    cluster: { type: 'integer' },
    serverGroup: { type: 'integer' },
    backups: { type: 'integer', description: 'How many servers hold each job of the group.' },
    number: { type: 'integer' },
    name: { type: 'string' },
    createdAt: ms('ms since the epoch'),
    role: {
      type: ['string', 'null'],
      enum: [...Object.values(GroupRole), null],
      description: "The caller's role on the group (null for an admin without one).",
    },
  },
} as const;

const User = {
  $id: 'User',
  type: 'object',
  required: ['id', 'username', 'isAdmin', 'createdAt'],
  properties: {
    id: { type: 'integer' },
    username: { type: 'string' },
    isAdmin: { type: 'boolean' },
    createdAt: ms('ms since the epoch'),
  },
} as const;

const FireTimes = {
  $id: 'FireTimes',
  type: 'object',
  description: 'Next fire instants of a cron expression in its time zone, after now.',
  required: ['timeZone', 'description', 'items'],
  properties: {
    timeZone: { type: ['string', 'null'] },
    description: { type: ['string', 'null'], description: 'The expression in words.' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['at', 'iso'],
        properties: {
          at: ms('ms since the epoch'),
          iso: {
            type: 'string',
            description: 'ISO-8601 UTC.',
            examples: ['2026-03-08T07:00:00.000Z'],
          },
        },
      },
    },
  },
} as const;

const Health = {
  $id: 'Health',
  type: 'object',
  required: ['status', 'database', 'coordinator'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    database: { type: 'string', enum: ['ok', 'error'] },
    coordinator: { type: 'string', enum: Object.values(SessionState) },
  },
} as const;

/** Every shared schema, for `addSchema`. */
export const SHARED_SCHEMAS = [
  ErrorResponse,
  Trigger,
  Job,
  TaskGroup,
  User,
  Execution,
  SubtaskProgress,
  ExecutionDetail,
  Subtask,
  ExecutionLog,
  FireTimes,
  Health,
] as const;

/** A reference to a shared schema by its $id. */
export function ref(id: (typeof SHARED_SCHEMAS)[number]['$id']): { $ref: string } {
  return { $ref: `${id}#` };
}

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Invalid input; nothing changed.',
  401: 'Missing, malformed, unknown or revoked token.',
  403: 'Not allowed, or the thing does not exist (the same answer either way).',
  404: 'Not found (only callers who may see the thing learn this).',
  409: 'Conflicts with the current state (a concurrent change, a group that still has jobs).',
  503: 'The database or the coordinator does not answer.',
};

/** Response schemas for the given error statuses. */
export function errorResponses(...statuses: number[]): Record<number, object> {
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: ERROR_DESCRIPTIONS[s] ?? 'Error.', ...ref('ErrorResponse') },
    ]),
  );
}
