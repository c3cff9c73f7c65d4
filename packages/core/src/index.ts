export { CarillonError, CoreErrorCode, hasErrorCode } from './errors.js';
export type { CarillonErrorOptions } from './errors.js';
export {
  formatTaskGroupId,
  isTaskGroupId,
  parseTaskGroupId,
  taskGroupId,
} from './task-group-id.js';
export type { TaskGroupId } from './task-group-id.js';
export {
  EXECUTION_CAUSES,
  EXECUTION_STATES,
  ExecutionCause,
  ExecutionState,
  LogLevel,
  UNFINISHED_STATES,
  assertTransition,
  canTransition,
  isFinal,
  statesLeadingTo,
} from './execution.js';
export type { Execution, ExecutionLog } from './execution.js';
export {
  CLIENT_LOST_MAX_ATTEMPTS,
  ClientLostPolicy,
  DEFAULT_DISPATCH_TIMEOUT_MS,
  JOB_LIMITS,
  JobKind,
  JobStatus,
  MisfirePolicy,
  OverlapPolicy,
  ROUTE_LABEL_PATTERN,
  RoutingStrategy,
  assertJobTransition,
} from './job.js';
export type { Job, JobSpec, Trigger } from './job.js';
export { checkSharding, parseShardParams, shardsOf } from './sharding.js';
export type { ShardInfo, Sharding } from './sharding.js';
export {
  DEFAULT_RETRY_POLICY,
  RetryBackoff,
  executionRetryPolicy,
  retryDelay,
  shouldRetry,
  subtaskRetryPolicy,
} from './retry-policy.js';
export type { RetryPolicy } from './retry-policy.js';
export { GroupRole, TokenKind, roleAllows } from './access.js';
export type { ApiToken, AuditEvent, ServerRecord, TaskGroup, User } from './access.js';
export { ManualClock, SystemClock } from './clock.js';
export type { Clock } from './clock.js';
export { isExecutionId, newExecutionId } from './ids.js';
export type {
  ExecutionChange,
  ExecutionPage,
  ExecutionPatch,
  ExecutionQuery,
  ExecutionStore,
  Fence,
  FireClaim,
  LogLine,
} from './store/execution-store.js';
export type { JobChanges, JobStore, JobUpdate } from './store/job-store.js';
export type { GroupStore, NewTaskGroup } from './store/group-store.js';
export type { NewApiToken, NewUser, UserStore } from './store/user-store.js';
export type { AuditStore } from './store/audit-store.js';
export type { AlertStore } from './store/alert-store.js';
export { ALERT_TRIGGERS, AlertChannel, AlertDeliveryState, AlertTrigger } from './alert.js';
export type { AlertDelivery, AlertMessage, AlertRule, NewAlertRule } from './alert.js';
export type { ServerBeat, ServerStore } from './store/server-store.js';
export type { NewSession, Session, SessionStore, SignInFailures } from './store/session-store.js';
export type { Stores } from './store/stores.js';
export { SessionEvent, SessionState } from './coordination/coordinator.js';
export type {
  ClientMember,
  Coordinator,
  Leadership,
  ServerMember,
  Unsubscribe,
} from './coordination/coordinator.js';
export { chooseHolders, countFirstHolder } from './placement/holder-assignment.js';
export type { HolderCandidate, HolderChoice, Random } from './placement/holder-assignment.js';
export { isStrictRouting, matchesPins, pickClient } from './placement/routing.js';
export type { RouteCandidate, RoutePins } from './placement/routing.js';
export { silentLogger } from './logger.js';
export type { Logger } from './logger.js';
export { SUBTASK_STATES, SubtaskState, canSubtaskTransition } from './execution.js';
export type { Subtask } from './execution.js';
export type {
  NewSubtask,
  SubtaskFence,
  SubtaskPatch,
  SubtaskQuery,
  SubtaskChange,
  SubtaskStore,
} from './store/subtask-store.js';
export { hashTokenSecret } from './token-hash.js';
export {
  CRON_MAX_COUNT,
  CronSchedule,
  DstPolicy,
  describeCron,
  parseCron,
} from './schedule/cron-schedule.js';
export type { CronEvalOptions } from './schedule/cron-schedule.js';
export { CRON_MAX_YEAR, CRON_MIN_YEAR, CronField } from './schedule/cron-spec.js';
export { assertTimeZone, canonicalTimeZone } from './schedule/time-zone.js';
export { assertCleanText, codePointLength, findForbiddenCharacter, foldUsername } from './text.js';
export type { ForbiddenCharacter } from './text.js';
