import type { Selectable } from 'kysely';
import { ExecutionCause } from '@carillon/core';
import type { Execution, ExecutionCause as Cause, ExecutionState } from '@carillon/core';
import type { ExecutionsTable } from './schema.js';
import { toInt, toIntOrNull } from './sql-helpers.js';
import { invalid } from './validate.js';

/** An executions row as read. */
export type ExecutionRow = Selectable<ExecutionsTable>;

/** Maps a row to the domain type, converting integers that a driver may give as strings. */
export function toExecution(row: ExecutionRow): Execution {
  return {
    id: row.id,
    jobId: toInt(row.job_id),
    groupId: row.group_id,
    scheduledAt: toInt(row.scheduled_at),
    cause: row.cause as Cause,
    state: row.state as ExecutionState,
    ownerServerId: row.owner_server_id,
    attempt: toInt(row.attempt),
    param: row.param,
    clientId: row.client_id,
    createdAt: toInt(row.created_at),
    dispatchedAt: toIntOrNull(row.dispatched_at),
    startedAt: toIntOrNull(row.started_at),
    finishedAt: toIntOrNull(row.finished_at),
    result: row.result,
    reason: row.reason,
    progress: row.progress === null ? null : Number(row.progress),
    cancelRequestedAt: toIntOrNull(row.cancel_requested_at),
  };
}

/**
 * The unique fire key of a fire: its instant for scheduled (and misfired) instants, so that each
 * fires once; null for manual and retry fires, which never collide.
 */
export function fireKey(cause: Cause, scheduledAt: number): number | null {
  return cause === ExecutionCause.Schedule || cause === ExecutionCause.Misfire ? scheduledAt : null;
}

/** Where a page ends: the last item's scheduled instant and id. */
export interface PageCursor {
  readonly scheduledAt: number;
  readonly id: string;
}

/** Encodes a cursor as opaque text (base64url of a JSON pair). */
export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.scheduledAt, cursor.id]), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor}.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` if it was not.
 */
export function decodeCursor(text: string): PageCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid('cursor', 'is not a cursor of this query');
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    Number.isSafeInteger(parsed[0]) &&
    typeof parsed[1] === 'string'
  ) {
    return { scheduledAt: parsed[0] as number, id: parsed[1] };
  }
  throw invalid('cursor', 'is not a cursor of this query');
}
