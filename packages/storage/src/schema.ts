import type { Generated } from 'kysely';

/*
 * The tables as the stores see them: the hand-written contract between the migrations and the
 * queries (generated types differ by database). Instants are BIGINT ms since the epoch; flags
 * are 0/1 integers (better-sqlite3 binds no booleans).
 */

/** One deployment; keeps the last task group number handed out, so numbers are never reused. */
export interface ClustersTable {
  id: number;
  last_group_number: number;
  created_at: number;
}

/** A ServerGroup of a cluster. */
export interface ServerGroupsTable {
  cluster: number;
  id: number;
  created_at: number;
}

/** Servers as last seen. */
export interface ServersTable {
  id: string;
  cluster: number;
  server_group: number;
  room: string;
  rpc_address: string;
  last_seen_at: number;
  /** When the current unbroken run of heartbeats began, on the database's clock. */
  beating_since: Generated<number>;
}

/** Task groups; `id` is the four-segment text id, unique (cluster, number). */
export interface TaskGroupsTable {
  id: string;
  cluster: number;
  server_group: number;
  backups: number;
  number: number;
  name: string;
  created_at: number;
}

/** Jobs; the trigger is spread over `trigger_type`, `cron`, `time_zone`. */
export interface JobsTable {
  id: Generated<number>;
  group_id: string;
  name: string;
  description: string;
  trigger_type: string;
  cron: string | null;
  time_zone: string | null;
  handler: string;
  kind: string;
  param: string | null;
  routing: string;
  overlap: string;
  misfire: string;
  timeout_ms: number;
  max_retries: number;
  dispatch_timeout_ms: number;
  /** `retry` or `fail`: what becomes of an execution whose client died mid-run. */
  on_client_lost: Generated<string>;
  /** Labels a client must all declare, comma-separated; '' for none. */
  route_labels: Generated<string>;
  /** The room a client must be in; '' for any. */
  route_room: Generated<string>;
  retry_backoff: Generated<string>;
  retry_delay_ms: Generated<number>;
  retry_max_delay_ms: Generated<number>;
  /** Fraction 0..1. */
  retry_jitter: Generated<number>;
  subtask_max_retries: Generated<number>;
  subtask_retry_backoff: Generated<string>;
  subtask_retry_delay_ms: Generated<number>;
  subtask_retry_max_delay_ms: Generated<number>;
  subtask_retry_jitter: Generated<number>;
  /** Shards per fire of a sharded job; 0 for other kinds. */
  shard_count: Generated<number>;
  /** Shard parameters by index, a JSON list of text or null; null for none. */
  shard_params: string | null;
  status: string;
  created_at: number;
  updated_at: number;
  version: number;
  /** The job change sequence number of its last write; see `job_change_counter`. */
  change_seq: Generated<number>;
}

/**
 * One row (id 1): the last job change sequence number given out. A job write increments it
 * first in its transaction and holds the row lock until it commits, so numbers become visible
 * in order: whoever sees n committed also sees every number below n.
 */
export interface JobChangeCounterTable {
  id: number;
  value: number;
}

/** The holders of each job, indexed by server for `listByHolder`. */
export interface JobHoldersTable {
  job_id: number;
  server_id: string;
  position: number;
}

/**
 * One row per fire. `scheduled_fire` equals `scheduled_at` for scheduled and misfire fires and
 * is NULL otherwise: the unique key (job_id, scheduled_fire) then makes a scheduled instant fire
 * once, while manual fires (NULL) never collide.
 */
export interface ExecutionsTable {
  id: string;
  job_id: number;
  group_id: string;
  scheduled_at: number;
  scheduled_fire: number | null;
  cause: string;
  state: string;
  owner_server_id: string | null;
  attempt: number;
  param: string | null;
  client_id: string | null;
  created_at: number;
  dispatched_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  result: string | null;
  reason: string | null;
  progress: number | null;
  cancel_requested_at: number | null;
}

/** Log lines, primary key (execution_id, seq). */
export interface ExecutionLogsTable {
  execution_id: string;
  seq: number;
  at: number;
  level: string;
  message: string;
}

/** Subtasks of parallel jobs, unique (execution_id, seq). */
export interface SubtasksTable {
  id: string;
  execution_id: string;
  seq: number;
  payload: string;
  state: string;
  attempt: number;
  client_id: string | null;
  created_at: number;
  dispatched_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  result: string | null;
  reason: string | null;
}

/** Console users. */
export interface UsersTable {
  id: Generated<number>;
  username: string;
  /** The username case-folded (core's `foldUsername`), unique; null only for a legacy duplicate. */
  username_key: string | null;
  password_hash: string;
  is_admin: number;
  created_at: number;
}

/** A user's role on a task group. */
export interface GroupPermissionsTable {
  group_id: string;
  user_id: number;
  role: string;
}

/** API tokens, found by the SHA-256 of their secret. */
export interface ApiTokensTable {
  id: Generated<number>;
  kind: string;
  user_id: number | null;
  group_id: string | null;
  name: string;
  secret_hash: string;
  created_at: number;
  revoked_at: number | null;
}

/** Sessions of users (browser cookies or bearer tokens from sign-in). */
export interface SessionsTable {
  id: Generated<number>;
  user_id: number;
  secret_hash: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  idle_ms: number;
  address: string;
  user_agent: string;
  revoked_at: number | null;
}

/** Failed sign-ins per throttle key. */
export interface SignInFailuresTable {
  throttle_key: string;
  failures: number;
  last_failure_at: number;
}

/** The audit trail. */
export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  target: string;
  detail: string | null;
}

/** Alert rules of task groups (job rules name the job); `triggers` is comma-separated. */
export interface AlertRulesTable {
  id: Generated<number>;
  group_id: string;
  job_id: number | null;
  name: string;
  triggers: string;
  channel: string;
  target: string;
  secret: string | null;
  min_interval_ms: number;
  enabled: number;
  created_at: number;
  updated_at: number;
}

/** Deliveries of alerts, with their attempts. */
export interface AlertDeliveriesTable {
  id: Generated<number>;
  rule_id: number;
  trigger_name: string;
  job_id: number | null;
  execution_id: string | null;
  state: string;
  attempts: number;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}

/** Every table of the schema, for `Kysely<Database>`. */
export interface Database {
  clusters: ClustersTable;
  server_groups: ServerGroupsTable;
  servers: ServersTable;
  task_groups: TaskGroupsTable;
  jobs: JobsTable;
  job_change_counter: JobChangeCounterTable;
  job_holders: JobHoldersTable;
  executions: ExecutionsTable;
  execution_logs: ExecutionLogsTable;
  subtasks: SubtasksTable;
  users: UsersTable;
  group_permissions: GroupPermissionsTable;
  api_tokens: ApiTokensTable;
  audit_events: AuditEventsTable;
  sessions: SessionsTable;
  sign_in_failures: SignInFailuresTable;
  alert_rules: AlertRulesTable;
  alert_deliveries: AlertDeliveriesTable;
}
