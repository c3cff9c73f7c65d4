/**
 * The core error catalog. Every error Carillon throws carries a stable `code` (tests and the
 * console's HTTP mapping use the code, never the message) and, where there is one, the `cause`.
 */
export const CoreErrorCode = {
  /** A task group id is not four positive integer segments, or backups is below 1. */
  InvalidTaskGroupId: 'CARILLON_INVALID_TASK_GROUP_ID',
  /** A cron expression does not parse; `details.field` names the bad field. */
  InvalidCron: 'CARILLON_INVALID_CRON',
  /** An IANA time zone name is unknown to the runtime. */
  InvalidTimeZone: 'CARILLON_INVALID_TIME_ZONE',
  /** A state change that the job or execution state machine does not allow. */
  InvalidTransition: 'CARILLON_INVALID_TRANSITION',
  /** A value is out of its allowed range or shape (length, count, enum member). */
  InvalidArgument: 'CARILLON_INVALID_ARGUMENT',
  /** The thing asked for does not exist. */
  NotFound: 'CARILLON_NOT_FOUND',
  /** A uniqueness rule would be broken (a name already taken). */
  Conflict: 'CARILLON_CONFLICT',
} as const;

export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];

/** Options of {@link CarillonError}. */
export interface CarillonErrorOptions {
  readonly cause?: unknown;
  /** Machine-readable facts about the error, such as the cron field that is wrong. */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * The base error of every Carillon package. Subsystems add their own codes (as strings of the
 * form `CARILLON_*`) in their own `errors.ts`; the class stays this one.
 */
export class CarillonError extends Error {
  override readonly name = 'CarillonError';
  readonly code: string;
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(code: string, message: string, options: CarillonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `error` is a {@link CarillonError} with the given code. */
export function hasErrorCode(error: unknown, code: string): error is CarillonError {
  return error instanceof CarillonError && error.code === code;
}
