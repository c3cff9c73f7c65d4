import type { Insertable, Selectable } from 'kysely';
import {
  DEFAULT_DISPATCH_TIMEOUT_MS,
  JOB_LIMITS,
  JobKind,
  JobStatus,
  ClientLostPolicy,
  DEFAULT_RETRY_POLICY,
  MisfirePolicy,
  ROUTE_LABEL_PATTERN,
  RetryBackoff,
  OverlapPolicy,
  RoutingStrategy,
  checkSharding,
  isTaskGroupId,
} from '@carillon/core';
import type { Job, JobSpec, Trigger } from '@carillon/core';
import type { JobsTable } from './schema.js';
import { toInt } from './sql-helpers.js';
import {
  STORE_LIMITS,
  checkCleanBytesOrNull,
  checkCleanText,
  checkInt,
  checkOneOf,
  checkText,
  invalid,
} from './validate.js';

/** The columns of a job that come from its spec. */
export type JobSpecColumns = Pick<
  Insertable<JobsTable>,
  | 'group_id'
  | 'name'
  | 'description'
  | 'trigger_type'
  | 'cron'
  | 'time_zone'
  | 'handler'
  | 'kind'
  | 'param'
  | 'routing'
  | 'overlap'
  | 'misfire'
  | 'timeout_ms'
  | 'max_retries'
  | 'dispatch_timeout_ms'
  | 'on_client_lost'
  | 'route_labels'
  | 'route_room'
  | 'retry_backoff'
  | 'retry_delay_ms'
  | 'retry_max_delay_ms'
  | 'retry_jitter'
  | 'subtask_max_retries'
  | 'subtask_retry_backoff'
  | 'subtask_retry_delay_ms'
  | 'subtask_retry_max_delay_ms'
  | 'subtask_retry_jitter'
  | 'shard_count'
  | 'shard_params'
>;

/**
 * Validates a job spec against {@link JOB_LIMITS} and the enums, and maps it to columns.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` naming the first bad field.
 */
export function specColumns(spec: JobSpec): JobSpecColumns {
  const columns = specColumnsUnchecked(spec);
  const sharding = checkSharding(
    columns.kind as JobKind,
    columns.routing as RoutingStrategy,
    spec.shardCount ?? 0,
    spec.shardParams ?? [],
  );
  columns.shard_count = sharding.shardCount;
  columns.shard_params =
    sharding.shardParams.length === 0 ? null : JSON.stringify(sharding.shardParams);
  if (columns.retry_max_delay_ms! < columns.retry_delay_ms!)
    throw invalid('retryMaxDelayMs', 'must be at least retryDelayMs');
  if (columns.subtask_retry_max_delay_ms! < columns.subtask_retry_delay_ms!)
    throw invalid('subtaskRetryMaxDelayMs', 'must be at least subtaskRetryDelayMs');
  return columns;
}

function specColumnsUnchecked(spec: JobSpec): JobSpecColumns {
  if (typeof spec.groupId !== 'string' || !isTaskGroupId(spec.groupId)) {
    throw invalid('groupId', `must be a task group id, got ${String(spec.groupId)}`);
  }
  const trigger = spec.trigger as Trigger | undefined;
  let cron: string | null = null;
  let timeZone: string | null = null;
  const type = checkOneOf('trigger.type', trigger?.type, ['cron', 'api'] as const);
  if (trigger?.type === 'cron') {
    cron = checkCleanText('trigger.cron', trigger.cron, JOB_LIMITS.cronMax);
    timeZone = checkCleanText('trigger.timeZone', trigger.timeZone, JOB_LIMITS.timeZoneMax);
  }
  return {
    group_id: spec.groupId,
    name: checkCleanText('name', spec.name, JOB_LIMITS.nameMax),
    description: checkCleanText('description', spec.description, JOB_LIMITS.descriptionMax, 0),
    trigger_type: type,
    cron,
    time_zone: timeZone,
    handler: checkCleanText('handler', spec.handler, JOB_LIMITS.handlerMax),
    kind: checkOneOf('kind', spec.kind, Object.values(JobKind)),
    param: checkCleanBytesOrNull('param', spec.param, JOB_LIMITS.paramMaxBytes),
    routing: checkOneOf('routing', spec.routing, Object.values(RoutingStrategy)),
    overlap: checkOneOf('overlap', spec.overlap, Object.values(OverlapPolicy)),
    misfire: checkOneOf('misfire', spec.misfire, Object.values(MisfirePolicy)),
    timeout_ms: checkInt('timeoutMs', spec.timeoutMs, 0, JOB_LIMITS.timeoutMsMax),
    max_retries: checkInt('maxRetries', spec.maxRetries, 0, JOB_LIMITS.maxRetries),
    dispatch_timeout_ms: checkInt(
      'dispatchTimeoutMs',
      spec.dispatchTimeoutMs ?? DEFAULT_DISPATCH_TIMEOUT_MS,
      JOB_LIMITS.dispatchTimeoutMsMin,
      JOB_LIMITS.dispatchTimeoutMsMax,
    ),
    on_client_lost: checkOneOf(
      'onClientLost',
      spec.onClientLost ?? ClientLostPolicy.Retry,
      Object.values(ClientLostPolicy),
    ),
    route_labels: checkRouteLabels(spec.routeLabels ?? []).join(','),
    route_room:
      spec.routeRoom === null || spec.routeRoom === undefined
        ? ''
        : checkCleanText('routeRoom', spec.routeRoom, JOB_LIMITS.routeRoomMax),
    retry_backoff: checkOneOf(
      'retryBackoff',
      spec.retryBackoff ?? DEFAULT_RETRY_POLICY.backoff,
      Object.values(RetryBackoff),
    ),
    retry_delay_ms: checkInt(
      'retryDelayMs',
      spec.retryDelayMs ?? DEFAULT_RETRY_POLICY.delayMs,
      0,
      JOB_LIMITS.retryDelayMsMax,
    ),
    retry_max_delay_ms: checkInt(
      'retryMaxDelayMs',
      spec.retryMaxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
      0,
      JOB_LIMITS.retryDelayMsMax,
    ),
    retry_jitter: checkFraction('retryJitter', spec.retryJitter ?? DEFAULT_RETRY_POLICY.jitter),
    subtask_max_retries: checkInt(
      'subtaskMaxRetries',
      spec.subtaskMaxRetries ?? 0,
      0,
      JOB_LIMITS.maxRetries,
    ),
    subtask_retry_backoff: checkOneOf(
      'subtaskRetryBackoff',
      spec.subtaskRetryBackoff ?? DEFAULT_RETRY_POLICY.backoff,
      Object.values(RetryBackoff),
    ),
    subtask_retry_delay_ms: checkInt(
      'subtaskRetryDelayMs',
      spec.subtaskRetryDelayMs ?? DEFAULT_RETRY_POLICY.delayMs,
      0,
      JOB_LIMITS.retryDelayMsMax,
    ),
    subtask_retry_max_delay_ms: checkInt(
      'subtaskRetryMaxDelayMs',
      spec.subtaskRetryMaxDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
      0,
      JOB_LIMITS.retryDelayMsMax,
    ),
    subtask_retry_jitter: checkFraction(
      'subtaskRetryJitter',
      spec.subtaskRetryJitter ?? DEFAULT_RETRY_POLICY.jitter,
    ),
  };
}

/**
 * Checks route labels: at most {@link JOB_LIMITS}`.routeLabelsMax`, each of
 * {@link ROUTE_LABEL_PATTERN} and at most `routeLabelMax` long, each once.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` otherwise.
 */
export function checkRouteLabels(labels: unknown): readonly string[] {
  if (!Array.isArray(labels)) throw invalid('routeLabels', 'must be a list of labels');
  if (labels.length > JOB_LIMITS.routeLabelsMax)
    throw invalid('routeLabels', `has more than ${JOB_LIMITS.routeLabelsMax} labels`);
  labels.forEach((label: unknown, i) => {
    if (
      typeof label !== 'string' ||
      label.length > JOB_LIMITS.routeLabelMax ||
      !ROUTE_LABEL_PATTERN.test(label)
    )
      throw invalid(`routeLabels[${i}]`, `must match ${String(ROUTE_LABEL_PATTERN)}`);
  });
  if (new Set(labels).size !== labels.length) throw invalid('routeLabels', 'names a label twice');
  return labels as string[];
}

function checkFraction(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1)
    throw invalid(field, 'must be a number from 0 to 1');
  return value;
}

/**
 * Validates a holder list: server ids, each once.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` otherwise.
 */
export function checkHolders(holders: readonly string[]): readonly string[] {
  holders.forEach((h, i) => checkText(`holders[${i}]`, h, STORE_LIMITS.serverIdMax));
  if (new Set(holders).size !== holders.length) throw invalid('holders', 'must be distinct');
  return holders;
}

/** Checks a job status value. */
export function checkStatus(status: unknown): JobStatus {
  return checkOneOf('status', status, Object.values(JobStatus));
}

/** Maps a row and its holders (in position order) to the domain type. */
export function toJob(row: Selectable<JobsTable>, holders: readonly string[]): Job {
  const trigger: Trigger =
    row.trigger_type === 'cron'
      ? { type: 'cron', cron: row.cron ?? '', timeZone: row.time_zone ?? '' }
      : { type: 'api' };
  return {
    id: toInt(row.id),
    groupId: row.group_id,
    name: row.name,
    description: row.description,
    trigger,
    handler: row.handler,
    kind: row.kind as JobKind,
    param: row.param,
    routing: row.routing as RoutingStrategy,
    overlap: row.overlap as OverlapPolicy,
    misfire: row.misfire as MisfirePolicy,
    timeoutMs: toInt(row.timeout_ms),
    maxRetries: toInt(row.max_retries),
    dispatchTimeoutMs: toInt(row.dispatch_timeout_ms),
    onClientLost: row.on_client_lost as ClientLostPolicy,
    routeLabels: row.route_labels === '' ? [] : row.route_labels.split(','),
    routeRoom: row.route_room === '' ? null : row.route_room,
    retryBackoff: row.retry_backoff as RetryBackoff,
    retryDelayMs: toInt(row.retry_delay_ms),
    retryMaxDelayMs: toInt(row.retry_max_delay_ms),
    retryJitter: Number(row.retry_jitter),
    subtaskMaxRetries: toInt(row.subtask_max_retries),
    subtaskRetryBackoff: row.subtask_retry_backoff as RetryBackoff,
    subtaskRetryDelayMs: toInt(row.subtask_retry_delay_ms),
    subtaskRetryMaxDelayMs: toInt(row.subtask_retry_max_delay_ms),
    subtaskRetryJitter: Number(row.subtask_retry_jitter),
    shardCount: toInt(row.shard_count),
    shardParams: parseParams(row.shard_params),
    status: row.status as JobStatus,
    holders,
    createdAt: toInt(row.created_at),
    updatedAt: toInt(row.updated_at),
    version: toInt(row.version),
  };
}

function parseParams(text: string | null): (string | null)[] {
  if (text === null || text === '') return [];
  const value = JSON.parse(text) as unknown;
  return Array.isArray(value) ? value.map((p: unknown) => (typeof p === 'string' ? p : null)) : [];
}
