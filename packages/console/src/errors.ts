import { CarillonError, CoreErrorCode } from '@carillon/core';

/**
 * The console's own error codes, beside the core ones. Together they are the `code` of every
 * error body the API returns (`{ error: { code, message } }`).
 */
export const ConsoleErrorCode = {
  /** No credentials, or a token that is unknown or revoked, or a wrong username or password. */
  Unauthenticated: 'CARILLON_UNAUTHENTICATED',
  /**
   * The caller may not do this. Also what a caller without a role on a task group gets for
   * anything of that group, whether it exists or not, so that it learns nothing of it.
   */
  Forbidden: 'CARILLON_FORBIDDEN',
  /** The request does not match the route's schema: unknown field, wrong type, bad JSON. */
  InvalidRequest: 'CARILLON_INVALID_REQUEST',
  /** The request body is larger than the console accepts. */
  RequestTooLarge: 'CARILLON_REQUEST_TOO_LARGE',
  /** The body is not JSON. */
  UnsupportedMediaType: 'CARILLON_UNSUPPORTED_MEDIA_TYPE',
  /** Too many failed sign-ins of this username from this address: wait `retryAfterS` seconds. */
  TooManyRequests: 'CARILLON_TOO_MANY_REQUESTS',
  /** The database or the coordinator does not answer. */
  Unavailable: 'CARILLON_UNAVAILABLE',
  /** A bug or an unexpected failure; the message says nothing more, the log has the details. */
  Internal: 'CARILLON_INTERNAL',
} as const;
export type ConsoleErrorCode = (typeof ConsoleErrorCode)[keyof typeof ConsoleErrorCode];

// The one place where error codes become HTTP statuses. Codes not listed here are bugs: 500.
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  [CoreErrorCode.InvalidArgument]: 400,
  [CoreErrorCode.InvalidCron]: 400,
  [CoreErrorCode.InvalidTimeZone]: 400,
  [CoreErrorCode.InvalidTaskGroupId]: 400,
  [CoreErrorCode.NotFound]: 404,
  [CoreErrorCode.Conflict]: 409,
  // A state change the state machine refuses (enable a deleted job) conflicts with the
  // resource's current state.
  [CoreErrorCode.InvalidTransition]: 409,
  [ConsoleErrorCode.InvalidRequest]: 400,
  [ConsoleErrorCode.Unauthenticated]: 401,
  [ConsoleErrorCode.Forbidden]: 403,
  [ConsoleErrorCode.RequestTooLarge]: 413,
  [ConsoleErrorCode.UnsupportedMediaType]: 415,
  [ConsoleErrorCode.TooManyRequests]: 429,
  [ConsoleErrorCode.Internal]: 500,
  [ConsoleErrorCode.Unavailable]: 503,
};

/** The HTTP status of an error code; 500 for codes the console does not know. */
export function httpStatusOf(code: string): number {
  return STATUS_BY_CODE[code] ?? 500;
}

/** The JSON body of every error response. */
export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: Readonly<Record<string, string | number | boolean>>;
  };
}

/** The message every caller without rights gets, so that it cannot tell what exists. */
export const FORBIDDEN_MESSAGE =
  'forbidden: you have no access to this resource, or it does not exist';

/** A 403 that says nothing about the resource (see {@link FORBIDDEN_MESSAGE}). */
export function forbidden(message: string = FORBIDDEN_MESSAGE): CarillonError {
  return new CarillonError(ConsoleErrorCode.Forbidden, message);
}

/** Why credentials were refused, in a 401's `details.credential`. */
export type CredentialProblem = 'missing' | 'malformed' | 'unknown' | 'expired' | 'wrong-password';

/** A 401; `problem` lands in `details.credential`. */
export function unauthenticated(message: string, problem?: CredentialProblem): CarillonError {
  return new CarillonError(
    ConsoleErrorCode.Unauthenticated,
    message,
    problem === undefined ? {} : { details: { credential: problem } },
  );
}

/** A 404 for `what` (e.g. `job 5`). Only callers allowed to see the resource get it. */
export function notFound(what: string): CarillonError {
  return new CarillonError(CoreErrorCode.NotFound, `${what} not found`);
}

/** A 409. */
export function conflict(
  message: string,
  details?: Record<string, string | number>,
): CarillonError {
  return new CarillonError(
    CoreErrorCode.Conflict,
    message,
    details === undefined ? {} : { details },
  );
}

/** A 400 about one field of the request. */
export function invalidArgument(field: string, message: string): CarillonError {
  return new CarillonError(CoreErrorCode.InvalidArgument, `${field}: ${message}`, {
    details: { field },
  });
}

// Fastify's own request errors, as console codes.
const FASTIFY_CODES: Readonly<Record<string, ConsoleErrorCode>> = {
  FST_ERR_VALIDATION: ConsoleErrorCode.InvalidRequest,
  FST_ERR_CTP_EMPTY_JSON_BODY: ConsoleErrorCode.InvalidRequest,
  FST_ERR_CTP_INVALID_JSON_BODY: ConsoleErrorCode.InvalidRequest,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ConsoleErrorCode.InvalidRequest,
  FST_ERR_CTP_BODY_TOO_LARGE: ConsoleErrorCode.RequestTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ConsoleErrorCode.UnsupportedMediaType,
};

const FASTIFY_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: 'body: empty, but Content-Type is application/json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'body: not valid JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body: too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'body: send application/json',
};

/** An error as the API answers it. `internal` errors are logged with their stack. */
export interface ErrorResponse {
  readonly status: number;
  readonly body: ErrorBody;
  readonly internal: boolean;
}

/**
 * Maps anything thrown while serving a request to its response: a {@link CarillonError} of a
 * known code to that code's status and its message; Fastify's request errors (bad JSON, body
 * too large, wrong media type) to console codes; everything else to a 500 that says nothing.
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (error instanceof CarillonError && STATUS_BY_CODE[error.code] !== undefined) {
    const status = httpStatusOf(error.code);
    const details = Object.keys(error.details).length > 0 ? { details: error.details } : {};
    return {
      status,
      body: { error: { code: error.code, message: error.message, ...details } },
      internal: status >= 500,
    };
  }
  const fastifyCode =
    typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
      ? error.code
      : undefined;
  const code = fastifyCode === undefined ? undefined : FASTIFY_CODES[fastifyCode];
  if (code !== undefined && fastifyCode !== undefined) {
    const message =
      FASTIFY_MESSAGES[fastifyCode] ?? (error instanceof Error ? error.message : 'invalid request');
    return { status: httpStatusOf(code), body: { error: { code, message } }, internal: false };
  }
  return {
    status: 500,
    body: {
      error: { code: ConsoleErrorCode.Internal, message: 'internal error; see the console log' },
    },
    internal: true,
  };
}
