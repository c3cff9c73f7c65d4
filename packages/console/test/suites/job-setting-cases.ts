import type { CallOptions } from '../harness.js';
import type { BadCase } from './bad-case.js';

/** Bad routing and retry settings, on create and on update. */
export function routingRetryCases(
  jobId: number,
  create: (overrides: Record<string, unknown>) => CallOptions,
): BadCase[] {
  const post = (
    name: string,
    overrides: Record<string, unknown>,
    field: string,
    code = 'CARILLON_INVALID_REQUEST',
  ): BadCase => ({
    name,
    method: 'POST',
    path: '/api/v1/jobs',
    options: create(overrides),
    status: 400,
    code,
    field,
  });
  const patch = (
    name: string,
    body: Record<string, unknown>,
    field: string,
    code = 'CARILLON_INVALID_REQUEST',
  ): BadCase => ({
    name,
    method: 'PATCH',
    path: `/api/v1/jobs/${jobId}`,
    options: { body },
    status: 400,
    code,
    field,
  });
  return [
    post('an unknown routing strategy', { routing: 'everywhere' }, 'routing'),
    post('a route label with a space', { routeLabels: ['has space'] }, 'routeLabels.0'),
    post('a route label twice', { routeLabels: ['gpu', 'gpu'] }, 'routeLabels'),
    post(
      'too many route labels',
      { routeLabels: Array.from({ length: 17 }, (_, i) => `l${i}`) },
      'routeLabels',
    ),
    post('an empty route room', { routeRoom: '' }, 'routeRoom'),
    post('an unknown retry backoff', { retryBackoff: 'linear' }, 'retryBackoff'),
    post('a negative retry delay', { retryDelayMs: -5 }, 'retryDelayMs'),
    post('a jitter above 1', { retryJitter: 1.5 }, 'retryJitter'),
    post(
      'a cap below the base delay',
      { retryDelayMs: 5000, retryMaxDelayMs: 1000 },
      'retryMaxDelayMs',
      'CARILLON_INVALID_ARGUMENT',
    ),
    post('too many subtask retries', { subtaskMaxRetries: 101 }, 'subtaskMaxRetries'),
    post('a negative subtask jitter', { subtaskRetryJitter: -0.5 }, 'subtaskRetryJitter'),
    patch(
      'update with an unknown subtask backoff',
      { subtaskRetryBackoff: 'random' },
      'subtaskRetryBackoff',
    ),
    patch(
      'update with a cap below the stored base delay',
      { retryMaxDelayMs: 10 },
      'retryMaxDelayMs',
      'CARILLON_INVALID_ARGUMENT',
    ),
  ];
}

/** Bad sharding and broadcast settings, on create and on update (the stored job is simple). */
export function shardingCases(
  jobId: number,
  create: (overrides: Record<string, unknown>) => CallOptions,
): BadCase[] {
  const bad = (
    name: string,
    method: 'POST' | 'PATCH',
    body: Record<string, unknown>,
    field: string,
    code = 'CARILLON_INVALID_ARGUMENT',
  ): BadCase => ({
    name,
    method,
    path: method === 'POST' ? '/api/v1/jobs' : `/api/v1/jobs/${jobId}`,
    options: method === 'POST' ? create(body) : { body },
    status: 400,
    code,
    field,
  });
  const sharded = { kind: 'sharded' };
  return [
    bad('a sharded job without shards', 'POST', sharded, 'shardCount'),
    bad('a sharded job with 0 shards', 'POST', { ...sharded, shardCount: 0 }, 'shardCount'),
    bad(
      'a sharded job with 1001 shards',
      'POST',
      { ...sharded, shardCount: 1001 },
      'shardCount',
      'CARILLON_INVALID_REQUEST',
    ),
    bad(
      'shard params past the count (list)',
      'POST',
      { ...sharded, shardCount: 2, shardParams: ['a', 'b', 'c'] },
      'shardParams',
    ),
    bad(
      'shard params past the count (text)',
      'POST',
      { ...sharded, shardCount: 3, shardParams: '0=Beijing,3=Shenzhen' },
      'shardParams',
    ),
    bad(
      'shard params not index=param',
      'POST',
      { ...sharded, shardCount: 3, shardParams: 'Beijing,Shanghai' },
      'shardParams',
    ),
    bad(
      'a shard index twice',
      'POST',
      { ...sharded, shardCount: 3, shardParams: '0=a,0=b' },
      'shardParams',
    ),
    bad(
      'a shard param that is a number',
      'POST',
      { ...sharded, shardCount: 3, shardParams: [1] },
      'shardParams[0]',
    ),
    bad(
      'a shard param too long',
      'POST',
      { ...sharded, shardCount: 3, shardParams: [null, 'x'.repeat(1025)] },
      'shardParams[1]',
    ),
    bad('shards on a simple job', 'POST', { shardCount: 3 }, 'shardCount'),
    bad('shard params on a simple job', 'POST', { shardParams: ['a'] }, 'shardParams'),
    bad(
      'broadcast on a parallel job',
      'POST',
      { kind: 'parallel', routing: 'broadcast' },
      'routing',
    ),
    bad(
      'broadcast on a sharded job',
      'POST',
      { ...sharded, shardCount: 2, routing: 'broadcast' },
      'routing',
    ),
    bad('update to sharded without shards', 'PATCH', sharded, 'shardCount'),
    bad('update with shards on a simple job', 'PATCH', { shardCount: 2 }, 'shardCount'),
  ];
}
