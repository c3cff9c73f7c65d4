import {
  CarillonError,
  CoreErrorCode,
  assertCleanText,
  codePointLength,
  isExecutionId,
} from '@carillon/core';
import type { DatabaseProfile } from './database-profile.js';

/**
 * Lengths the columns allow, in characters (Unicode code points, as MariaDB's VARCHAR counts
 * them in utf8mb4 and as the OpenAPI document's maxLength does) unless named `…Bytes`. The stores check values
 * against them before writing: MySQL's `INSERT IGNORE` would otherwise cut an over-long value
 * silently, and SQLite does not check lengths at all.
 */
export const STORE_LIMITS = {
  serverIdMax: 128,
  clientIdMax: 128,
  roomMax: 64,
  rpcAddressMax: 255,
  groupIdMax: 64,
  groupNameMax: 128,
  usernameMax: 64,
  passwordHashMax: 255,
  tokenNameMax: 128,
  secretHashMax: 128,
  actorMax: 128,
  actionMax: 64,
  targetMax: 255,
  detailMaxBytes: 64 * 1024,
  resultMaxBytes: 1024 * 1024,
  reasonMax: 16_000,
  /** Longer log messages are cut to this length, ending in `…`. */
  logMessageMax: 16_384,
  payloadMaxBytes: 1024 * 1024,
  /** Epoch ms beyond year 9999 is surely a mistake. */
  instantMax: 253_402_300_799_999,
} as const;

/** A `CARILLON_INVALID_ARGUMENT` error naming the field. */
export function invalid(field: string, message: string): CarillonError {
  return new CarillonError(CoreErrorCode.InvalidArgument, `${field}: ${message}`, {
    details: { field },
  });
}

/**
 * Checks a text's length in code points (as the column counts characters).
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` if it is not a string of `min..max` length.
 */
export function checkText(field: string, value: unknown, max: number, min = 1): string {
  if (typeof value !== 'string') throw invalid(field, 'must be a string');
  const length = codePointLength(value);
  if (length < min || length > max) {
    throw invalid(field, `length must be ${min}..${max} characters, got ${length}`);
  }
  return value;
}

/**
 * {@link checkText} for text people type (names, handlers, descriptions): it must also hold no
 * NUL character and no unpaired surrogate.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` naming the field.
 */
export function checkCleanText(field: string, value: unknown, max: number, min = 1): string {
  const text = checkText(field, value, max, min);
  assertCleanText(field, text);
  return text;
}

/** {@link checkText} that lets null through. */
export function checkTextOrNull(field: string, value: unknown, max: number): string | null {
  return value === null ? null : checkText(field, value, max, 0);
}

/**
 * Checks a text's size in UTF-8 bytes, or lets null through.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` if it is longer than `maxBytes`.
 */
export function checkBytesOrNull(field: string, value: unknown, maxBytes: number): string | null {
  if (value === null) return null;
  if (typeof value !== 'string') throw invalid(field, 'must be a string or null');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxBytes) throw invalid(field, `must be at most ${maxBytes} bytes, got ${bytes}`);
  return value;
}

/** {@link checkBytesOrNull} for text people type: no NUL character, no unpaired surrogate. */
export function checkCleanBytesOrNull(
  field: string,
  value: unknown,
  maxBytes: number,
): string | null {
  const text = checkBytesOrNull(field, value, maxBytes);
  if (text !== null) assertCleanText(field, text);
  return text;
}

/**
 * Checks an integer range.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` unless `value` is a safe integer in `min..max`.
 */
export function checkInt(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(field, `must be an integer in ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

/** {@link checkInt} for an instant (epoch ms), or null. */
export function checkInstantOrNull(field: string, value: unknown): number | null {
  return value === null ? null : checkInt(field, value, 0, STORE_LIMITS.instantMax);
}

/**
 * Checks that a value is one of a closed set.
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` otherwise.
 */
export function checkOneOf<T extends string>(
  field: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalid(field, `must be one of ${allowed.join(', ')}, got ${String(value)}`);
  }
  return value as T;
}

/**
 * Checks the shape of an execution or subtask id (a lowercase UUID).
 *
 * @throws CarillonError `CARILLON_INVALID_ARGUMENT` otherwise.
 */
export function checkUuid(field: string, value: unknown): string {
  if (typeof value !== 'string' || !isExecutionId(value)) {
    throw invalid(field, `must be a lowercase UUID, got ${String(value)}`);
  }
  return value;
}

/**
 * Turns a database error from a write into the core code it means: a duplicate key becomes
 * `CARILLON_CONFLICT`, a missing referenced row `CARILLON_NOT_FOUND` (or `CARILLON_CONFLICT`
 * when `referencedIsConflict`, for deletes of rows still in use). Other errors pass unchanged.
 */
export function translateWriteError(
  profile: DatabaseProfile,
  error: unknown,
  what: string,
  referencedIsConflict = false,
): unknown {
  switch (profile.classifyError(error)) {
    case 'unique':
      return new CarillonError(CoreErrorCode.Conflict, `${what}: already exists`, { cause: error });
    case 'foreign-key':
      return referencedIsConflict
        ? new CarillonError(CoreErrorCode.Conflict, `${what}: still in use`, { cause: error })
        : new CarillonError(CoreErrorCode.NotFound, `${what}: a referenced row does not exist`, {
            cause: error,
          });
    case 'transient':
    case 'exists':
    case 'other':
      return error;
  }
}
