import type { Job } from '@carillon/core';
import { openStores } from '@carillon/storage';
import type { SqlStores } from '@carillon/storage';
import type { TestDatabase } from '@carillon/testkit';
import { seedJobs } from './fixtures.js';

/** Two store instances on one fresh database, with seeded jobs; see {@link openRivalStores}. */
export interface RivalStores {
  /** The instance that migrated the database and seeded it. */
  readonly stores: SqlStores;
  /** A second instance: its own pool (MariaDB) or its own Database handle (SQLite). */
  readonly rival: SqlStores;
  /** The i-th seeded job; throws if there is none. */
  readonly job: (i: number) => Job;
  /** Closes both instances and drops the database. */
  readonly close: () => Promise<void>;
}

/**
 * Creates a database of `database`, opens two store instances on it (two servers contending
 * for the same rows) and seeds a group of `jobCount` jobs held by s1 and s2.
 */
export async function openRivalStores(
  database: TestDatabase,
  jobCount: number,
): Promise<RivalStores> {
  const url = await database.create();
  const stores = await openStores({ url });
  const rival = await openStores({ url, migrate: false });
  const { job } = await seedJobs(stores, jobCount);
  return {
    stores,
    rival,
    job,
    close: async () => {
      await rival.close();
      await stores.close();
      await database.drop();
    },
  };
}
