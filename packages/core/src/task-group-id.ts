import { CarillonError, CoreErrorCode } from './errors.js';

/**
 * A task group id: `cluster-serverGroup-backups-number`, e.g. `101-1-2-6601` is cluster 101,
 * ServerGroup 1, every job held by 2 servers, group number 6601.
 */
export interface TaskGroupId {
  readonly cluster: number;
  readonly serverGroup: number;
  readonly backups: number;
  readonly number: number;
}

const SEGMENT = /^[1-9][0-9]{0,8}$/;

/**
 * Parses a four-segment task group id.
 *
 * @throws CarillonError `CARILLON_INVALID_TASK_GROUP_ID` unless the text is four positive
 *   integers (no signs, no leading zeros, at most nine digits each) joined by `-`.
 * @example parseTaskGroupId('101-1-2-6601') // { cluster: 101, serverGroup: 1, backups: 2, number: 6601 }
 */
export function parseTaskGroupId(text: string): TaskGroupId {
  const parts = text.split('-');
  if (parts.length !== 4) {
    throw invalid(
      text,
      `expected four segments cluster-serverGroup-backups-number, got ${parts.length}`,
    );
  }
  const names = ['cluster', 'serverGroup', 'backups', 'number'] as const;
  const values = parts.map((part, i) => {
    if (!SEGMENT.test(part)) {
      throw invalid(text, `segment ${names[i]} must be a positive integer, got "${part}"`);
    }
    return Number(part);
  });
  const [cluster, serverGroup, backups, number] = values as [number, number, number, number];
  return taskGroupId({ cluster, serverGroup, backups, number });
}

/**
 * Builds a task group id from its segments, validating each.
 *
 * @throws CarillonError `CARILLON_INVALID_TASK_GROUP_ID` if a segment is not a positive integer.
 */
export function taskGroupId(segments: TaskGroupId): TaskGroupId {
  for (const [name, value] of Object.entries(segments)) {
    if (!Number.isSafeInteger(value) || value < 1 || value > 999_999_999) {
      throw invalid(String(value), `segment ${name} must be a positive integer, got ${value}`);
    }
  }
  return Object.freeze({ ...segments });
}

/** Formats a task group id as `cluster-serverGroup-backups-number`. */
export function formatTaskGroupId(id: TaskGroupId): string {
  return `${id.cluster}-${id.serverGroup}-${id.backups}-${id.number}`;
}

/** True when `text` is a valid four-segment task group id. */
export function isTaskGroupId(text: string): boolean {
  try {
    parseTaskGroupId(text);
    return true;
  } catch {
    return false;
  }
}

function invalid(text: string, reason: string): CarillonError {
  return new CarillonError(
    CoreErrorCode.InvalidTaskGroupId,
    `invalid task group id "${text}": ${reason}`,
    {
      details: { reason },
    },
  );
}
