import { CoordinationErrorCode } from '@carillon/coordination';
import type { Coordinator, Logger } from '@carillon/core';
import { CarillonError } from '@carillon/core';
import { isTransientDatabaseError, openStores } from '@carillon/storage';
import type { SqlStores } from '@carillon/storage';

/** How long a starting process waits for what it depends on, and where it says so. */
export interface StartWait {
  /** 0: a single try. */
  readonly waitMs: number;
  readonly logger: Logger;
}

const FIRST_DELAY_MS = 250;
const LONGEST_DELAY_MS = 5_000;

/**
 * Runs `attempt` until it succeeds; while it fails with an error that `passing` says may pass
 * (a database or ZooKeeper still starting) and `wait.waitMs` has not run out, tries again after
 * a growing delay, with one log line per failed try. Then throws the last error.
 *
 * Why: an init system starts Carillon beside its database and ZooKeeper, in no set order; a
 * server or console that came up first used to exit at once, and stayed down unless something
 * restarted it.
 */
export async function untilReachable<T>(
  what: string,
  attempt: () => Promise<T>,
  passing: (error: unknown) => boolean,
  wait: StartWait,
): Promise<T> {
  const deadline = Date.now() + wait.waitMs;
  let delayMs = FIRST_DELAY_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      const leftMs = deadline - Date.now();
      if (!passing(error) || leftMs <= 0) throw error;
      const retryInMs = Math.min(delayMs, leftMs);
      wait.logger.warn(
        { reason: reasonOf(error), retryInMs, leftMs },
        `${what} does not answer yet; trying again`,
      );
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
      delayMs = Math.min(delayMs * 2, LONGEST_DELAY_MS);
    }
  }
}

/** The error's message and code, without a stack: the cause is outside this process. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.message} [${code}]` : error.message;
}

/** Opens (and migrates) the database at `url`, waiting for it to answer. */
export function openStoresWhenReachable(url: string, wait: StartWait): Promise<SqlStores> {
  return untilReachable('the database', () => openStores({ url }), isTransientDatabaseError, wait);
}

/** Starts `coordinator`, waiting for a ZooKeeper session (each try waits 15 s for one). */
export function startCoordinatorWhenReachable(
  coordinator: Coordinator,
  wait: StartWait,
): Promise<void> {
  return untilReachable(
    'ZooKeeper',
    () => coordinator.start(),
    (error) => error instanceof CarillonError && error.code === CoordinationErrorCode.Unavailable,
    wait,
  );
}
