import { CarillonError } from '@carillon/protocol';

/**
 * The client SDK's error catalog. Every error the SDK throws is a `CarillonError` with one of
 * these stable codes (branch on the code, never on the message) and, where there is one, a
 * `cause`. Handler failures are not errors of the SDK: they travel to the server as data.
 */
export const ClientErrorCode = {
  /** The options given to `new Client()` or `register()` are invalid; `details.option` says which. */
  InvalidOptions: 'CARILLON_CLIENT_INVALID_OPTIONS',
  /** A method was called in a state that does not allow it (e.g. `register` after `start`). */
  InvalidState: 'CARILLON_CLIENT_INVALID_STATE',
  /**
   * The console refused the discovery request (HTTP 401, 403 or 404): the token is wrong or has
   * no right on the task group, or the group does not exist. `details.status` has the status.
   */
  ConsoleRejected: 'CARILLON_CLIENT_CONSOLE_REJECTED',
  /** No console answered the discovery request usefully (network error, 5xx, bad body). */
  DiscoveryFailed: 'CARILLON_CLIENT_DISCOVERY_FAILED',
  /**
   * Every server refused the client's Hello for a reason that stays until the configuration
   * changes (bad token, unknown group, ...). `details.rejectCode` is the server's code.
   */
  HelloRejected: 'CARILLON_CLIENT_HELLO_REJECTED',
  /** `start()` reached no server within its timeout. */
  StartTimeout: 'CARILLON_CLIENT_START_TIMEOUT',
  /** `start()` was interrupted by `stop()`. */
  Stopped: 'CARILLON_CLIENT_STOPPED',
} as const;

/** One of the {@link ClientErrorCode} values. */
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** Builds an SDK error with a stable code. */
export function clientError(
  code: ClientErrorCode,
  message: string,
  options: {
    readonly cause?: unknown;
    readonly details?: Readonly<Record<string, string | number | boolean>>;
  } = {},
): CarillonError {
  return new CarillonError(code, message, options);
}
