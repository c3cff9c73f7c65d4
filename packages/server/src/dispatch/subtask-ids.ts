import { createHash } from 'node:crypto';

/**
 * The id of the subtask at `position` (from 1) of an execution: a name-based UUID (version 5
 * layout over SHA-1), so that a chunk of items sent again, or by the next attempt of the first
 * level, names the same subtasks and `insertBatch` leaves them alone.
 */
export function subtaskId(executionId: string, position: number): string {
  return nameUuid(`${executionId}:${position}`);
}

/** The id of an execution's reduce step (one per execution; its attempt counts re-dispatches). */
export function reduceId(executionId: string): string {
  return nameUuid(`${executionId}:reduce`);
}

function nameUuid(name: string): string {
  const bytes = createHash('sha1').update(name).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
