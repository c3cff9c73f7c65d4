import { CarillonError, CoreErrorCode } from './errors.js';
import type { RetryBackoff } from './retry-policy.js';

/** How a job is fired. `api`: only by "trigger once"; later kinds come with later issues. */
export type Trigger =
  | { readonly type: 'cron'; readonly cron: string; readonly timeZone: string }
  | { readonly type: 'api' };

/**
 * Simple jobs run on one client; parallel jobs split into subtasks over all clients; sharded
 * jobs run a fixed number of shards per fire, one subtask each, spread over the clients.
 */
export const JobKind = { Simple: 'simple', Parallel: 'parallel', Sharded: 'sharded' } as const;
export type JobKind = (typeof JobKind)[keyof typeof JobKind];

/** What to do when a fire is due while the previous one still runs. */
export const OverlapPolicy = {
  /** Run both. */
  Allow: 'allow',
  /** Record the new fire as skipped. */
  Skip: 'skip',
  /** Keep at most one fire waiting; it starts when the running one ends. Later ones are skipped. */
  QueueOne: 'queue_one',
  /** Cancel the running fire, then run the new one. */
  CancelPrevious: 'cancel_previous',
} as const;
export type OverlapPolicy = (typeof OverlapPolicy)[keyof typeof OverlapPolicy];

/** What to do with instants that passed while no server could fire them. */
export const MisfirePolicy = {
  /** Fire once now for all of them; the others are recorded as skipped. */
  FireOnce: 'fire_once',
  /** Fire every missed instant, up to a cap; those past the cap are recorded as skipped. */
  FireAll: 'fire_all',
  /** Record every missed instant as skipped. */
  Skip: 'skip',
} as const;
export type MisfirePolicy = (typeof MisfirePolicy)[keyof typeof MisfirePolicy];

/**
 * How the server picks a client for a dispatch, among the connected clients of the job's group
 * that registered its handler (and match its pins, see {@link JobSpec.routeLabels}). "Client
 * order" is the order of client ids (code points): every server of a group sees the same order,
 * whatever order the clients connected in.
 */
export const RoutingStrategy = {
  /** Least loaded by in-flight work against declared capacity; ties at random. */
  LeastLoaded: 'least_loaded',
  /** Each client with a free slot in turn, per job, in client order. */
  RoundRobin: 'round_robin',
  /** Any client with a free slot, uniformly. */
  Random: 'random',
  /**
   * The job's owner on a hash ring of client ids (virtual nodes): the same client takes every
   * fire of a job while it is connected; when it leaves only its jobs move. A fire waits while
   * the owner is full.
   */
  ConsistentHash: 'consistent_hash',
  /** The first client in client order; a fire waits while it is full. */
  First: 'first',
  /** The last client in client order; a fire waits while it is full. */
  Last: 'last',
  /** The first client in client order that has a free slot (not gone, full or hung). */
  Failover: 'failover',
  /**
   * Like failover, and a client that refuses the fire (or is full) hands it to the next one:
   * each client is tried at most once per fire.
   */
  BusyOver: 'busy_over',
  /**
   * Every client (matching the pins) runs each fire once: one subtask per client connected at
   * the fire, pinned to it. Simple jobs only.
   */
  Broadcast: 'broadcast',
} as const;
export type RoutingStrategy = (typeof RoutingStrategy)[keyof typeof RoutingStrategy];

/** Job lifecycle: enabled ⇄ disabled, either → deleted (final). */
/** What becomes of an execution whose client died (or was cut off past the fence) mid-run. */
export const ClientLostPolicy = {
  /**
   * Dispatched again to another client, same execution id, next attempt, up to
   * {@link CLIENT_LOST_MAX_ATTEMPTS} attempts in all; then failed.
   */
  Retry: 'retry',
  /** Recorded failed (the job's own retries do not apply). */
  Fail: 'fail',
} as const;
export type ClientLostPolicy = (typeof ClientLostPolicy)[keyof typeof ClientLostPolicy];

/** Attempts an execution may have in all under `onClientLost: retry`. */
export const CLIENT_LOST_MAX_ATTEMPTS = 3;

export const JobStatus = { Enabled: 'enabled', Disabled: 'disabled', Deleted: 'deleted' } as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

const JOB_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  enabled: ['disabled', 'deleted'],
  disabled: ['enabled', 'deleted'],
  deleted: [],
};

/**
 * Checks a job status change.
 *
 * @throws CarillonError `CARILLON_INVALID_TRANSITION` when it is not allowed.
 */
export function assertJobTransition(from: JobStatus, to: JobStatus): void {
  if (!JOB_TRANSITIONS[from].includes(to)) {
    throw new CarillonError(
      CoreErrorCode.InvalidTransition,
      `job cannot go from ${from} to ${to}`,
      {
        details: { from, to },
      },
    );
  }
}

/** The settings of a job that a user chooses. */
export interface JobSpec {
  readonly groupId: string;
  readonly name: string;
  readonly description: string;
  readonly trigger: Trigger;
  /** The job type a client registers (`client.register(handler, ...)`). */
  readonly handler: string;
  readonly kind: JobKind;
  readonly param: string | null;
  readonly routing: RoutingStrategy;
  readonly overlap: OverlapPolicy;
  readonly misfire: MisfirePolicy;
  /** 0 means no timeout. */
  readonly timeoutMs: number;
  readonly maxRetries: number;
  /**
   * How long after its instant a fire may wait for a client with a free slot; past it, the fire
   * is recorded `skipped` (reason `dispatch timeout: ...`) without being sent. Default
   * {@link DEFAULT_DISPATCH_TIMEOUT_MS}.
   */
  readonly dispatchTimeoutMs?: number;
  /** When its client dies mid-run. Default `retry`. */
  readonly onClientLost?: ClientLostPolicy;
  /**
   * Pins the job to clients that declare every one of these labels (client option `labels`).
   * Default none. A pinned fire waits for a matching client; it never goes to another.
   */
  readonly routeLabels?: readonly string[];
  /** Pins the job to clients of this room (client option `room`). Default null: any room. */
  readonly routeRoom?: string | null;
  /** Delays between an execution's attempts after a retryable failure. Default exponential. */
  readonly retryBackoff?: RetryBackoff;
  /** The first retry delay. Default {@link DEFAULT_RETRY_POLICY}`.delayMs`. */
  readonly retryDelayMs?: number;
  /** No delay is longer. Default {@link DEFAULT_RETRY_POLICY}`.maxDelayMs`. */
  readonly retryMaxDelayMs?: number;
  /** Fraction 0..1 of each delay taken off at random (see `retryDelay`). Default 0. */
  readonly retryJitter?: number;
  /** Retries of one subtask of a parallel job after a retryable failure. Default 0. */
  readonly subtaskMaxRetries?: number;
  readonly subtaskRetryBackoff?: RetryBackoff;
  readonly subtaskRetryDelayMs?: number;
  readonly subtaskRetryMaxDelayMs?: number;
  readonly subtaskRetryJitter?: number;
  /**
   * Shards per fire of a `sharded` job, 1..{@link JOB_LIMITS}`.shardCountMax`; 0 (the default)
   * for every other kind.
   */
  readonly shardCount?: number;
  /**
   * Each shard's parameter by shard index (`ctx.shard.param`); null or missing entries have
   * none. At most `shardCount` entries. Default none.
   */
  readonly shardParams?: readonly (string | null)[];
}

/** A job as stored. */
export interface Job extends JobSpec {
  readonly id: number;
  readonly status: JobStatus;
  /** Ids of the servers that hold the job in memory (`backups` of them). */
  readonly holders: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Bumped on every change, so that holders can tell a stale copy. */
  readonly version: number;
  readonly dispatchTimeoutMs: number;
  readonly onClientLost: ClientLostPolicy;
  readonly routeLabels: readonly string[];
  readonly routeRoom: string | null;
  readonly retryBackoff: RetryBackoff;
  readonly retryDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly retryJitter: number;
  readonly subtaskMaxRetries: number;
  readonly subtaskRetryBackoff: RetryBackoff;
  readonly subtaskRetryDelayMs: number;
  readonly subtaskRetryMaxDelayMs: number;
  readonly subtaskRetryJitter: number;
  readonly shardCount: number;
  readonly shardParams: readonly (string | null)[];
}

/**
 * The dispatch timeout of a job that names none: long enough for a client to restart or be
 * deployed, short enough that a per-second job's backlog stays bounded (rate × timeout fires).
 */
export const DEFAULT_DISPATCH_TIMEOUT_MS = 60_000;

/** Limits on job fields, checked at the edge and again by the stores. */
export const JOB_LIMITS = {
  nameMax: 128,
  descriptionMax: 1024,
  handlerMax: 128,
  paramMaxBytes: 64 * 1024,
  cronMax: 256,
  timeZoneMax: 64,
  maxRetries: 100,
  timeoutMsMax: 7 * 24 * 3600 * 1000,
  dispatchTimeoutMsMin: 100,
  dispatchTimeoutMsMax: 24 * 3600 * 1000,
  /** Labels a job may be pinned to, and a client may declare. */
  routeLabelsMax: 16,
  routeLabelMax: 64,
  routeRoomMax: 256,
  retryDelayMsMax: 24 * 3600 * 1000,
  shardCountMax: 1000,
  /** One shard's parameter, in characters. */
  shardParamMax: 1024,
} as const;

/**
 * What a route label looks like: letters, digits and `_ . : / = -`, starting with a letter or
 * digit (`gpu`, `zone=eu-1`). No commas or spaces, so that lists stay unambiguous.
 */
export const ROUTE_LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/=-]*$/;
