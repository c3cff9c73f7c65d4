import { hash } from 'node:crypto';

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
  // One-shot hash to hex, then the version (5, digit 13) and variant (10xx, digit 17) set in
  // the text: a hash object and a Buffer per subtask cost several µs each of 100,000.
  const hex = hash('sha1', name, 'hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
