import type { Insertable, Updateable } from 'kysely';
import {
  EXECUTION_CAUSES,
  EXECUTION_STATES,
  ExecutionState,
  JOB_LIMITS,
  CarillonError,
  CoreErrorCode,
  canTransition,
} from '@carillon/core';
import type { ExecutionPatch, Fence, FireClaim } from '@carillon/core';
import { fireKey } from './execution-rows.js';
import type { ExecutionsTable } from './schema.js';
import {
  STORE_LIMITS,
  checkBytesOrNull,
  checkInstantOrNull,
  checkInt,
  checkOneOf,
  checkText,
  checkTextOrNull,
  checkUuid,
  invalid,
} from './validate.js';

/** Largest value of an INTEGER id column. */
export const MAX_ID = 2_147_483_647;

/**
 * Validates a claim and makes its row, owned by `ownerServerId` (null: unowned) at attempt 1.
 * A `skipped` claim is final at once, so it gets `finished_at`.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` naming the first bad field.
 */
export function claimRow(
  claim: FireClaim,
  ownerServerId: string | null,
  nowMs: number,
): Insertable<ExecutionsTable> {
  const state = checkOneOf('claim.state', claim.state ?? ExecutionState.Claimed, [
    ExecutionState.Claimed,
    ExecutionState.Skipped,
  ]);
  const cause = checkOneOf('claim.cause', claim.cause, EXECUTION_CAUSES);
  const scheduledAt = checkInt('claim.scheduledAt', claim.scheduledAt, 0, STORE_LIMITS.instantMax);
  return {
    id: checkUuid('claim.id', claim.id),
    job_id: checkInt('claim.jobId', claim.jobId, 1, MAX_ID),
    group_id: checkText('claim.groupId', claim.groupId, STORE_LIMITS.groupIdMax),
    scheduled_at: scheduledAt,
    scheduled_fire: fireKey(cause, scheduledAt),
    cause,
    state,
    owner_server_id: ownerServerId,
    attempt: 1,
    param: checkBytesOrNull('claim.param', claim.param, JOB_LIMITS.paramMaxBytes),
    client_id: null,
    created_at: nowMs,
    dispatched_at: null,
    started_at: null,
    finished_at: state === ExecutionState.Skipped ? nowMs : null,
    result: null,
    reason: checkTextOrNull('claim.reason', claim.reason ?? null, STORE_LIMITS.reasonMax),
    progress: null,
    cancel_requested_at: null,
  };
}

/**
 * Validates a fence and the target state. A fenced patch that keeps the state (progress while
 * running) is allowed; any other step must be one the state machine has.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a malformed fence,
 *   `CARILLON_INVALID_TRANSITION` for a step the state machine forbids.
 */
export function checkFence(fence: Fence, state: ExecutionState): void {
  checkUuid('fence.id', fence.id);
  checkText('fence.ownerServerId', fence.ownerServerId, STORE_LIMITS.serverIdMax);
  checkInt('fence.attempt', fence.attempt, 1, MAX_ID);
  if (fence.clientId !== undefined)
    checkText('fence.clientId', fence.clientId, STORE_LIMITS.clientIdMax);
  checkOneOf('state', state, EXECUTION_STATES);
  if (fence.from.length === 0) throw invalid('fence.from', 'must name at least one state');
  for (const from of fence.from) {
    checkOneOf('fence.from', from, EXECUTION_STATES);
    if (from !== state && !canTransition(from, state)) {
      throw new CarillonError(
        CoreErrorCode.InvalidTransition,
        `execution cannot go from ${from} to ${state}`,
        { details: { from, to: state } },
      );
    }
  }
}

/**
 * Validates a patch and maps it to columns, the new state among them. The state is set here
 * rather than by the caller as `{ ...columns, state }`: on Node 20, V8 takes a slow path for a
 * spread followed by a property the spread object lacks (about 3 µs a change).
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` for a bad value, or an attempt that is not
 *   `fenceAttempt + 1`.
 */
export function patchColumns(
  patch: ExecutionPatch,
  fenceAttempt: number,
  state: ExecutionState,
): Updateable<ExecutionsTable> {
  const set: Updateable<ExecutionsTable> = { state };
  if (patch.clientId !== undefined)
    set.client_id = checkTextOrNull('patch.clientId', patch.clientId, STORE_LIMITS.clientIdMax);
  if (patch.dispatchedAt !== undefined)
    set.dispatched_at = checkInstantOrNull('patch.dispatchedAt', patch.dispatchedAt);
  if (patch.startedAt !== undefined)
    set.started_at = checkInstantOrNull('patch.startedAt', patch.startedAt);
  if (patch.finishedAt !== undefined)
    set.finished_at = checkInstantOrNull('patch.finishedAt', patch.finishedAt);
  if (patch.result !== undefined)
    set.result = checkBytesOrNull('patch.result', patch.result, STORE_LIMITS.resultMaxBytes);
  if (patch.reason !== undefined)
    set.reason = checkTextOrNull('patch.reason', patch.reason, STORE_LIMITS.reasonMax);
  if (patch.progress !== undefined) {
    if (patch.progress !== null && !Number.isFinite(patch.progress))
      throw invalid('patch.progress', 'must be a finite number or null');
    set.progress = patch.progress;
  }
  if (patch.cause !== undefined)
    set.cause = checkOneOf('patch.cause', patch.cause, EXECUTION_CAUSES);
  if (patch.ownerServerId !== undefined) {
    if (patch.ownerServerId !== null) throw invalid('patch.ownerServerId', 'can only be null');
    set.owner_server_id = null;
  }
  if (patch.attempt !== undefined) {
    if (patch.attempt !== fenceAttempt + 1)
      throw invalid('patch.attempt', `must be the fence's attempt + 1 (${fenceAttempt + 1})`);
    set.attempt = patch.attempt;
  }
  return set;
}
