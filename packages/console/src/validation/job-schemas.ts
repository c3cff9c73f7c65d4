import {
  CLIENT_LOST_MAX_ATTEMPTS,
  ClientLostPolicy,
  DEFAULT_DISPATCH_TIMEOUT_MS,
  DEFAULT_RETRY_POLICY,
  JOB_LIMITS,
  JobKind,
  MisfirePolicy,
  OverlapPolicy,
  RetryBackoff,
  ROUTE_LABEL_PATTERN,
  RoutingStrategy,
} from '@carillon/core';
import type {
  ClientLostPolicy as ClientLostPolicyT,
  JobKind as JobKindT,
  MisfirePolicy as MisfirePolicyT,
  OverlapPolicy as OverlapPolicyT,
  RetryBackoff as RetryBackoffT,
  RoutingStrategy as RoutingStrategyT,
} from '@carillon/core';

/** A trigger as a request gives it; `timeZone` defaults to UTC. */
export type TriggerInput =
  | { readonly type: 'cron'; readonly cron: string; readonly timeZone?: string }
  | { readonly type: 'api' };

/** The fields of a job that create and update share. */
interface JobFieldsInput {
  readonly name: string;
  readonly description: string;
  readonly trigger: TriggerInput;
  readonly handler: string;
  readonly param: string | null;
  readonly timeoutMs: number;
  readonly overlap: OverlapPolicyT;
  readonly misfire: MisfirePolicyT;
  readonly routing: RoutingStrategyT;
  readonly kind: JobKindT;
  readonly maxRetries: number;
  readonly dispatchTimeoutMs: number;
  readonly onClientLost: ClientLostPolicyT;
  readonly routeLabels: readonly string[];
  readonly routeRoom: string | null;
  readonly retryBackoff: RetryBackoffT;
  readonly retryDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly retryJitter: number;
  readonly subtaskMaxRetries: number;
  readonly subtaskRetryBackoff: RetryBackoffT;
  readonly subtaskRetryDelayMs: number;
  readonly subtaskRetryMaxDelayMs: number;
  readonly subtaskRetryJitter: number;
  readonly shardCount: number;
  readonly shardParams: string | readonly (string | null)[];
}

/** The routing and retry fields: optional on create and update, copied as given. */
export const ROUTING_RETRY_FIELDS = [
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
] as const;

/** The body of `POST /jobs`. */
export type CreateJobBody = Partial<JobFieldsInput> &
  Pick<JobFieldsInput, 'name' | 'trigger' | 'handler'> & {
    readonly groupId: string;
    readonly enabled?: boolean;
  };

/** The body of `PATCH /jobs/{id}`. */
export type UpdateJobBody = Partial<JobFieldsInput> & { readonly version?: number };

/** The defaults of optional job fields, as documented in the OpenAPI document. */
export const JOB_DEFAULTS = {
  description: '',
  param: null,
  timeoutMs: 0,
  overlap: OverlapPolicy.Allow,
  misfire: MisfirePolicy.FireOnce,
  routing: RoutingStrategy.LeastLoaded,
  kind: JobKind.Simple,
  maxRetries: 0,
  dispatchTimeoutMs: DEFAULT_DISPATCH_TIMEOUT_MS,
  onClientLost: ClientLostPolicy.Retry,
  routeLabels: [],
  routeRoom: null,
  retryBackoff: DEFAULT_RETRY_POLICY.backoff,
  retryDelayMs: DEFAULT_RETRY_POLICY.delayMs,
  retryMaxDelayMs: DEFAULT_RETRY_POLICY.maxDelayMs,
  retryJitter: DEFAULT_RETRY_POLICY.jitter,
  subtaskMaxRetries: 0,
  subtaskRetryBackoff: DEFAULT_RETRY_POLICY.backoff,
  subtaskRetryDelayMs: DEFAULT_RETRY_POLICY.delayMs,
  subtaskRetryMaxDelayMs: DEFAULT_RETRY_POLICY.maxDelayMs,
  subtaskRetryJitter: DEFAULT_RETRY_POLICY.jitter,
  shardCount: 0,
  shardParams: [],
  enabled: true,
  timeZone: 'UTC',
} as const;

const text = (max: number, description?: string) =>
  ({
    type: 'string',
    minLength: 1,
    maxLength: max,
    pattern: '\\S',
    ...(description === undefined ? {} : { description }),
  }) as const;

/** The trigger of a request: one schema per type, chosen by `type`. */
export const triggerInputSchema = {
  type: 'object',
  description:
    '`cron`: Quartz syntax with seconds (6 or 7 fields), evaluated in `timeZone` (IANA, default UTC). `api`: fires only by "trigger".',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'cron'],
      properties: {
        type: { type: 'string', enum: ['cron'] },
        cron: { ...text(JOB_LIMITS.cronMax), examples: ['0 0/1 * * * ?'] },
        timeZone: {
          type: 'string',
          minLength: 1,
          maxLength: JOB_LIMITS.timeZoneMax,
          description: 'IANA time zone, default UTC.',
          examples: ['Europe/Paris'],
        },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      properties: { type: { type: 'string', enum: ['api'] } },
    },
  ],
} as const;

/** The backoff fields of a retry policy, named with `prefix` (`retryDelayMs`, `subtaskRetryDelayMs`). */
function retryFields<P extends '' | 'subtask'>(prefix: P, what: string) {
  const name = (field: string) => (prefix === '' ? `retry${field}` : `${prefix}Retry${field}`);
  const delay = (description: string) =>
    ({ type: 'integer', minimum: 0, maximum: JOB_LIMITS.retryDelayMsMax, description }) as const;
  return {
    [name('Backoff')]: {
      type: 'string',
      enum: Object.values(RetryBackoff),
      description: `Delays between retries of ${what}: \`fixed\` waits the base delay every time, \`exponential\` doubles it per retry, up to the cap.`,
    },
    [name('DelayMs')]: delay(`The first retry delay of ${what} (ms).`),
    [name('MaxDelayMs')]: delay(
      `The longest retry delay of ${what} (ms), at least the base delay.`,
    ),
    [name('Jitter')]: {
      type: 'number',
      minimum: 0,
      maximum: 1,
      description: `Fraction of each delay of ${what} taken off at random: the delay d becomes a random value in [d × (1 − jitter), d]. 1 is full jitter, 0.5 equal jitter, 0 none.`,
    },
  } as Record<
    P extends ''
      ? 'retryBackoff' | 'retryDelayMs' | 'retryMaxDelayMs' | 'retryJitter'
      : | 'subtaskRetryBackoff'
        | 'subtaskRetryDelayMs'
        | 'subtaskRetryMaxDelayMs'
        | 'subtaskRetryJitter',
    object
  >;
}

/** Field schemas shared by create and update; defaults are only applied on create. */
function jobFields(maxParamBytes: number) {
  return {
    name: text(JOB_LIMITS.nameMax),
    description: { type: 'string', maxLength: JOB_LIMITS.descriptionMax },
    trigger: triggerInputSchema,
    handler: text(JOB_LIMITS.handlerMax, 'The job type a client registers.'),
    param: {
      type: ['string', 'null'],
      description: `Passed to the handler; at most ${maxParamBytes} bytes of UTF-8.`,
    },
    timeoutMs: {
      type: 'integer',
      minimum: 0,
      maximum: JOB_LIMITS.timeoutMsMax,
      description: '0: no timeout.',
    },
    overlap: {
      type: 'string',
      enum: Object.values(OverlapPolicy),
      description: 'When a fire is due while the previous one still runs.',
    },
    misfire: {
      type: 'string',
      enum: Object.values(MisfirePolicy),
      description: 'What to do with instants missed while no server ran.',
    },
    routing: {
      type: 'string',
      enum: Object.values(RoutingStrategy),
      description:
        "How a client is picked for each fire (see docs/routing-and-retries.md). `least_loaded`: least in-flight work against capacity; `round_robin`; `random`; `consistent_hash`: the job's owner on a hash ring of client ids, the same client while it lives; `first` / `last`: by client id order, waiting while that client is full; `failover`: the first client by client id with a free slot; `busy_over`: like failover, and a client that refuses hands the fire to the next, each tried once per fire; `broadcast` (simple jobs only): every client connected at the fire runs it once (see docs/sharding-and-broadcast.md).",
    },
    routeLabels: {
      type: 'array',
      maxItems: JOB_LIMITS.routeLabelsMax,
      uniqueItems: true,
      items: {
        type: 'string',
        minLength: 1,
        maxLength: JOB_LIMITS.routeLabelMax,
        pattern: ROUTE_LABEL_PATTERN.source,
      },
      description:
        'Pins the job to clients that declare every one of these labels (client option `labels`); a pinned fire waits for such a client and never goes elsewhere. Empty: no pin.',
      examples: [['gpu', 'zone=eu-1']],
    },
    routeRoom: {
      type: ['string', 'null'],
      minLength: 1,
      maxLength: JOB_LIMITS.routeRoomMax,
      pattern: '\\S',
      description: 'Pins the job to clients of this room (client option `room`). null: any room.',
    },
    ...retryFields('', 'an execution'),
    subtaskMaxRetries: {
      type: 'integer',
      minimum: 0,
      maximum: JOB_LIMITS.maxRetries,
      description: 'Retries of each subtask of a parallel job after a retryable failure.',
    },
    ...retryFields('subtask', 'a subtask'),
    kind: {
      type: 'string',
      enum: Object.values(JobKind),
      description:
        "`simple` (default): one handler call per fire. `parallel`: the handler's `dispatch` produces items, each processed as a subtask somewhere in the group, then the optional `reduce` (see docs/parallel-jobs.md). `sharded`: each fire runs `shardCount` shards, one subtask each, spread over the group's clients; the handler sees `ctx.shard` (see docs/sharding-and-broadcast.md).",
    },
    shardCount: {
      type: 'integer',
      minimum: 0,
      maximum: JOB_LIMITS.shardCountMax,
      description: `Shards per fire: 1 to ${JOB_LIMITS.shardCountMax} for a \`sharded\` job (required), 0 for every other kind.`,
    },
    shardParams: {
      anyOf: [
        { type: 'string', maxLength: JOB_LIMITS.shardCountMax * (JOB_LIMITS.shardParamMax + 6) },
        {
          type: 'array',
          maxItems: JOB_LIMITS.shardCountMax,
          // Each entry text or null, checked by the store with its index in the message (an
          // `anyOf` mismatch would only say "must be string").
          items: {
            description: `Text of at most ${JOB_LIMITS.shardParamMax} characters, or null.`,
          },
        },
      ],
      description:
        "Each shard's parameter (`ctx.shard.param`), by shard index from 0: a list (null for none), or the text form `0=Beijing,1=Shanghai`. At most `shardCount` entries; an index outside 0..shardCount-1 is a 400. Sharded jobs only.",
      examples: ['0=Beijing,1=Shanghai,2=Guangzhou', ['Beijing', 'Shanghai', null]],
    },
    maxRetries: { type: 'integer', minimum: 0, maximum: JOB_LIMITS.maxRetries },
    dispatchTimeoutMs: {
      type: 'integer',
      minimum: JOB_LIMITS.dispatchTimeoutMsMin,
      maximum: JOB_LIMITS.dispatchTimeoutMsMax,
      description:
        'How long after its instant a fire may wait for a client with a free slot; then it is recorded skipped (reason "dispatch timeout: ...") without running.',
    },
    onClientLost: {
      type: 'string',
      enum: Object.values(ClientLostPolicy),
      description: `When the client running an execution dies (or stays cut off past the fence interval): \`retry\` dispatches it again to another client, same execution id, next attempt, up to ${CLIENT_LOST_MAX_ATTEMPTS} attempts in all; \`fail\` records it failed.`,
    },
  } as const;
}

/** The body schema of `POST /jobs`, with its defaults. */
export function createJobSchema(maxParamBytes: number) {
  const f = jobFields(maxParamBytes);
  return {
    type: 'object',
    additionalProperties: false,
    required: ['groupId', 'name', 'trigger', 'handler'],
    properties: {
      groupId: {
        type: 'string',
        minLength: 1,
        maxLength: 64,
        description: 'The task group, cluster-serverGroup-backups-number.',
        examples: ['101-1-2-6601'],
      },
      name: f.name,
      description: { ...f.description, default: JOB_DEFAULTS.description },
      trigger: f.trigger,
      handler: f.handler,
      param: { ...f.param, default: JOB_DEFAULTS.param },
      timeoutMs: { ...f.timeoutMs, default: JOB_DEFAULTS.timeoutMs },
      overlap: { ...f.overlap, default: JOB_DEFAULTS.overlap },
      misfire: { ...f.misfire, default: JOB_DEFAULTS.misfire },
      routing: { ...f.routing, default: JOB_DEFAULTS.routing },
      kind: { ...f.kind, default: JOB_DEFAULTS.kind },
      maxRetries: { ...f.maxRetries, default: JOB_DEFAULTS.maxRetries },
      dispatchTimeoutMs: { ...f.dispatchTimeoutMs, default: JOB_DEFAULTS.dispatchTimeoutMs },
      onClientLost: { ...f.onClientLost, default: JOB_DEFAULTS.onClientLost },
      routeLabels: { ...f.routeLabels, default: JOB_DEFAULTS.routeLabels },
      routeRoom: { ...f.routeRoom, default: JOB_DEFAULTS.routeRoom },
      retryBackoff: { ...f.retryBackoff, default: JOB_DEFAULTS.retryBackoff },
      retryDelayMs: { ...f.retryDelayMs, default: JOB_DEFAULTS.retryDelayMs },
      retryMaxDelayMs: { ...f.retryMaxDelayMs, default: JOB_DEFAULTS.retryMaxDelayMs },
      retryJitter: { ...f.retryJitter, default: JOB_DEFAULTS.retryJitter },
      subtaskMaxRetries: { ...f.subtaskMaxRetries, default: JOB_DEFAULTS.subtaskMaxRetries },
      subtaskRetryBackoff: { ...f.subtaskRetryBackoff, default: JOB_DEFAULTS.subtaskRetryBackoff },
      subtaskRetryDelayMs: { ...f.subtaskRetryDelayMs, default: JOB_DEFAULTS.subtaskRetryDelayMs },
      subtaskRetryMaxDelayMs: {
        ...f.subtaskRetryMaxDelayMs,
        default: JOB_DEFAULTS.subtaskRetryMaxDelayMs,
      },
      subtaskRetryJitter: { ...f.subtaskRetryJitter, default: JOB_DEFAULTS.subtaskRetryJitter },
      shardCount: f.shardCount,
      shardParams: f.shardParams,
      enabled: { type: 'boolean', default: JOB_DEFAULTS.enabled },
    },
  } as const;
}

/** The body schema of `PATCH /jobs/{id}`: any subset of the fields, and the expected version. */
export function updateJobSchema(maxParamBytes: number) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...jobFields(maxParamBytes),
      version: {
        type: 'integer',
        minimum: 1,
        description:
          'The version the change is based on; 409 if the job changed since. Omitted: the current one.',
      },
    },
  } as const;
}

/** Path parameters of `/jobs/{id}...`. */
export const jobIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1 } },
} as const;
