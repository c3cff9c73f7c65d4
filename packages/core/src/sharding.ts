import { CarillonError, CoreErrorCode } from './errors.js';
import { JOB_LIMITS, JobKind, RoutingStrategy } from './job.js';
import type { JobKind as JobKindT, RoutingStrategy as RoutingStrategyT } from './job.js';

/** What a handler knows about the shard it runs (`ctx.shard` in the SDK). */
export interface ShardInfo {
  /** From 0. */
  readonly index: number;
  /** Shards in this fire. */
  readonly count: number;
  /** The shard's parameter, or null when it has none. */
  readonly param: string | null;
}

function invalid(field: string, message: string): CarillonError {
  return new CarillonError(CoreErrorCode.InvalidArgument, `${field}: ${message}`, {
    details: { field },
  });
}

/**
 * Reads shard parameters as a request gives them: a list by shard index (`["Beijing",
 * "Shanghai"]`, null for none), or ElasticJob's text form `"0=Beijing,1=Shanghai"` (an index, `=`,
 * the parameter, up to the next comma; spaces around items ignored; empty text for none).
 * Returns the list form. The indices are checked against the shard count by
 * {@link checkSharding}.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` (field `shardParams`) for an item that is not
 *   `index=param`, an index that is not a whole number, or an index given twice.
 */
export function parseShardParams(input: string | readonly (string | null)[]): (string | null)[] {
  if (typeof input !== 'string') return [...input];
  const params: (string | null)[] = [];
  if (input.trim() === '') return params;
  const seen = new Set<number>();
  for (const item of input.split(',')) {
    const eq = item.indexOf('=');
    const index = eq < 0 ? '' : item.slice(0, eq).trim();
    if (!/^\d{1,7}$/.test(index))
      throw invalid('shardParams', `"${item.trim()}" is not index=parameter (as in 0=Beijing)`);
    const n = Number(index);
    if (seen.has(n)) throw invalid('shardParams', `names shard ${n} twice`);
    seen.add(n);
    while (params.length <= n) params.push(null);
    params[n] = item.slice(eq + 1).trim();
  }
  return params;
}

/** The sharding settings of a job, as stored. */
export interface Sharding {
  readonly shardCount: number;
  readonly shardParams: readonly (string | null)[];
}

/**
 * Checks the sharding fields against the job's kind and routing: a `sharded` job has 1..1000
 * shards and at most that many parameters (each at most {@link JOB_LIMITS}`.shardParamMax`
 * characters); other kinds have no shards; `broadcast` routing is for simple jobs only (a
 * parallel job's subtasks and a sharded job's shards are spread, not repeated on every client).
 * Returns the settings with trailing null parameters dropped.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` naming the field.
 */
export function checkSharding(
  kind: JobKindT,
  routing: RoutingStrategyT,
  shardCount: unknown,
  shardParams: unknown,
): Sharding {
  if (routing === RoutingStrategy.Broadcast && kind !== JobKind.Simple)
    throw invalid('routing', `broadcast is for simple jobs, not ${kind} ones`);
  if (kind !== JobKind.Sharded) {
    if (shardCount !== 0 && shardCount !== undefined)
      throw invalid('shardCount', `is only for sharded jobs (kind "sharded"), use 0 for ${kind}`);
    if (Array.isArray(shardParams) && shardParams.length > 0)
      throw invalid('shardParams', 'is only for sharded jobs (kind "sharded")');
    return { shardCount: 0, shardParams: [] };
  }
  if (
    typeof shardCount !== 'number' ||
    !Number.isInteger(shardCount) ||
    shardCount < 1 ||
    shardCount > JOB_LIMITS.shardCountMax
  )
    throw invalid(
      'shardCount',
      `a sharded job needs 1 to ${JOB_LIMITS.shardCountMax} shards, got ${String(shardCount)}`,
    );
  const params = shardParams ?? [];
  if (!Array.isArray(params)) throw invalid('shardParams', 'must be a list');
  const list: (string | null)[] = params.map((p: unknown, i) => {
    if (p === null || p === undefined) return null;
    if (typeof p !== 'string') throw invalid(`shardParams[${i}]`, 'must be text or null');
    if (p.length > JOB_LIMITS.shardParamMax)
      throw invalid(`shardParams[${i}]`, `is longer than ${JOB_LIMITS.shardParamMax} characters`);
    return p;
  });
  while (list.length > 0 && list[list.length - 1] === null) list.pop();
  if (list.length > shardCount)
    throw invalid(
      'shardParams',
      `names shard ${list.length - 1}, but shards go from 0 to ${shardCount - 1} (shardCount ${shardCount})`,
    );
  return { shardCount, shardParams: list };
}

/** The shards of one fire of a sharded job, by index. */
export function shardsOf(job: Sharding): ShardInfo[] {
  return Array.from({ length: job.shardCount }, (_, index) => ({
    index,
    count: job.shardCount,
    param: job.shardParams[index] ?? null,
  }));
}
