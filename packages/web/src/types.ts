/** Shapes of the console API's answers (see /api/v1/openapi.json). */
export interface User {
  id: number;
  username: string;
  isAdmin: boolean;
  createdAt: number;
}
export interface TaskGroup {
  id: string;
  cluster: number;
  serverGroup: number;
  backups: number;
  number: number;
  name: string;
  createdAt: number;
  role?: string | null;
}
export type Trigger = { type: 'cron'; cron: string; timeZone: string } | { type: 'api' };
export interface Job {
  id: number;
  groupId: string;
  name: string;
  description: string;
  trigger: Trigger;
  handler: string;
  kind: string;
  param: string | null;
  routing: string;
  overlap: string;
  misfire: string;
  timeoutMs: number;
  maxRetries: number;
  routeLabels: string[];
  routeRoom: string | null;
  retryBackoff: string;
  retryDelayMs: number;
  retryMaxDelayMs: number;
  retryJitter: number;
  subtaskMaxRetries: number;
  subtaskRetryBackoff: string;
  subtaskRetryDelayMs: number;
  subtaskRetryMaxDelayMs: number;
  subtaskRetryJitter: number;
  dispatchTimeoutMs: number;
  onClientLost: string;
  shardCount: number;
  shardParams: (string | null)[];
  status: string;
  holders: string[];
  version: number;
}
export interface Execution {
  id: string;
  jobId: number;
  groupId: string;
  scheduledAt: number;
  cause: string;
  state: string;
  attempt: number;
  ownerServerId: string | null;
  param: string | null;
  clientId: string | null;
  createdAt: number;
  dispatchedAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  result: string | null;
  reason: string | null;
  progress: number | null;
}
/** Counts of an execution's subtasks by state. */
export interface SubtaskProgress {
  total: number;
  pending: number;
  dispatched: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  cancelled: number;
}
/** An execution as its own route answers it: null progress for a simple job's execution. */
export interface ExecutionDetail extends Execution {
  subtaskProgress: SubtaskProgress | null;
}
/** A subtask; in lists `truncated` names the text fields cut to 500 characters. */
export interface Subtask {
  id: string;
  seq: number;
  payload: string;
  state: string;
  attempt: number;
  clientId: string | null;
  dispatchedAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  result: string | null;
  reason: string | null;
  truncated: string[];
}
export interface SubtaskPage {
  items: Subtask[];
  nextAfter: number | null;
}
export interface ExecutionLog {
  seq: number;
  at: number;
  level: string;
  message: string;
}
export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}
