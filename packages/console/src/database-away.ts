import type { Logger, Stores } from '@carillon/core';
import { ConsoleErrorCode } from './errors.js';
import type { ErrorResponse } from './errors.js';

/** What a client is told to wait before it tries again (`Retry-After`, seconds). */
export const RETRY_AFTER_SECONDS = 2;

/** At most one log line about the database being away per this many ms. */
const LOG_EVERY_MS = 10_000;

/**
 * Answers a request that failed on the database's passing trouble (unreachable, restarting,
 * contended: `Stores.isTransient`) with a 503 that says so, instead of a 500 "internal error",
 * so that a user, a script or nginx knows to try again. While the database is away every
 * request fails this way: the log gets one line per 10 s with the count, not a stack each.
 */
export class DatabaseAway {
  readonly #stores: Stores;
  readonly #logger: Logger;
  #loggedAt = Number.NEGATIVE_INFINITY;
  #unlogged = 0;

  constructor(stores: Stores, logger: Logger) {
    this.#stores = stores;
    this.#logger = logger;
  }

  /** The 503 answer when `error` is the database's passing trouble, else undefined. */
  answer(error: unknown, method: string): ErrorResponse | undefined {
    if (!this.#stores.isTransient(error)) return undefined;
    this.#log(error);
    // A write may have failed after it reached the database (a reply lost with its connection).
    const reading = method === 'GET' || method === 'HEAD';
    return {
      status: 503,
      body: {
        error: {
          code: ConsoleErrorCode.Unavailable,
          message: reading
            ? `the database does not answer or is busy; try again in ${RETRY_AFTER_SECONDS} s`
            : `the database does not answer or is busy; the change may not have been made: check, then try again`,
        },
      },
      internal: false,
    };
  }

  #log(error: unknown): void {
    this.#unlogged++;
    const now = Date.now();
    if (now - this.#loggedAt < LOG_EVERY_MS) return;
    this.#logger.warn(
      { requests: this.#unlogged, cause: error instanceof Error ? error.message : String(error) },
      'the database does not answer or is busy; requests answered 503',
    );
    this.#loggedAt = now;
    this.#unlogged = 0;
  }
}
