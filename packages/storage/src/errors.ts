import { CarillonError } from '@carillon/core';

/**
 * Error codes of the storage package. Stores also throw core codes: `CARILLON_INVALID_ARGUMENT`
 * for a value that does not fit its column, `CARILLON_CONFLICT` for a taken unique name,
 * `CARILLON_NOT_FOUND` for a row that must exist, `CARILLON_INVALID_TRANSITION` for a state
 * change the state machine forbids.
 */
export const StorageErrorCode = {
  /** The database URL has an unknown scheme or lacks a part (host, path). */
  UnsupportedUrl: 'CARILLON_STORAGE_UNSUPPORTED_URL',
  /** A migration failed; `cause` is the database's error, `details.migration` its name. */
  MigrationFailed: 'CARILLON_STORAGE_MIGRATION_FAILED',
  /**
   * A statement kept failing with a deadlock or lock wait timeout after the bounded retries;
   * `cause` is the last database error.
   */
  Contended: 'CARILLON_STORAGE_CONTENDED',
  /** The database server is too old for a capability the stores need (e.g. SKIP LOCKED). */
  UnsupportedDatabase: 'CARILLON_STORAGE_UNSUPPORTED_DATABASE',
  /** The driver package of the URL's database (better-sqlite3, mysql2) is not installed. */
  DriverMissing: 'CARILLON_STORAGE_DRIVER_MISSING',
  /** The database a URL names does not exist and its user may not create it. */
  CannotCreateDatabase: 'CARILLON_STORAGE_CANNOT_CREATE_DATABASE',
} as const;

export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

/** Builds a {@link CarillonError} with a storage code. */
export function storageError(
  code: StorageErrorCode,
  message: string,
  cause?: unknown,
  details?: Readonly<Record<string, string | number | boolean>>,
): CarillonError {
  return new CarillonError(code, message, {
    ...(cause === undefined ? {} : { cause }),
    ...(details === undefined ? {} : { details }),
  });
}
