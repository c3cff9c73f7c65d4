import type { DatabaseProfile } from './database-profile.js';
import { StorageErrorCode, storageError } from './errors.js';
import type { Db } from './sql-helpers.js';

/** How often a statement hit by a deadlock or lock wait timeout is tried in all. */
export const TRANSIENT_ATTEMPTS = 8;

/**
 * Runs `work`, trying again when the database reports a transient conflict. InnoDB resolves a
 * deadlock between concurrent claimers (next-key locks on the unique fire key, taken in
 * different orders) by rolling one statement's transaction back with errno 1213; SQLite may
 * still be busy after `busy_timeout`. The work given here is a whole insert-if-absent or
 * compare-and-set (or a transaction of them), so running it again is safe. Inside the caller's
 * transaction nothing is retried: the database has rolled all of it back, so the caller must.
 *
 * @throws CarillonError `CARILLON_STORAGE_CONTENDED` after {@link TRANSIENT_ATTEMPTS} tries.
 */
export async function withRetry<T>(
  db: Db,
  profile: DatabaseProfile,
  work: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (db.isTransaction || profile.classifyError(error) !== 'transient') throw error;
      if (attempt >= TRANSIENT_ATTEMPTS) {
        throw storageError(
          StorageErrorCode.Contended,
          `still contended after ${attempt} attempts on ${profile.label}`,
          error,
          { attempts: attempt },
        );
      }
      // Jittered backoff, so that the two sides of a deadlock do not meet again at once.
      const delayMs = Math.random() * 5 * 2 ** Math.min(attempt, 5);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
