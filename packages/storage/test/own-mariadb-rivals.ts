import { createConnection } from 'mysql2/promise';
import { startMariaDb } from '@carillon/testkit';
import type { MariaDbServer, TestDatabase } from '@carillon/testkit';
import { T0, claimOf } from './fixtures.js';
import { openRivalStores } from './rival-stores.js';
import type { RivalStores } from './rival-stores.js';

/** Two store instances on a throwaway mariadbd of their own, and its lock counters. */
export interface OwnMariaDbRivals extends RivalStores {
  /** InnoDB's deadlocks and row lock waits since the server started: this test's alone. */
  readonly lockCounters: () => Promise<{ deadlocks: number; waits: number }>;
  /**
   * Claims `count` executions of the seeded job, one per instant, and returns their ids in
   * instant order: consecutive ids are neighbours in every index keyed by execution, so the
   * even ones and the odd ones interleave as two servers' fires of one instant do.
   */
  readonly claimInterleaved: (count: number) => Promise<string[]>;
  /** Closes both instances and stops the server. */
  readonly stop: () => Promise<void>;
}

/** Starts a mariadbd for one test file and opens {@link openRivalStores} on it (one job). */
export async function openOwnMariaDbRivals(): Promise<OwnMariaDbRivals> {
  const mariadb: MariaDbServer = await startMariaDb();
  const database: TestDatabase = {
    label: 'mariadb',
    parallelTransactionsInProcess: true,
    create: () => mariadb.createDatabase(),
    // The whole server goes in stop().
    drop: () => Promise.resolve(),
  };
  const rivals = await openRivalStores(database, 1);
  return {
    ...rivals,
    async lockCounters() {
      const connection = await createConnection({ uri: mariadb.serverUrl });
      try {
        const [rows] = await connection.query(
          "show global status where Variable_name in ('Innodb_deadlocks', 'Innodb_row_lock_waits')",
        );
        const value = (name: string): number =>
          Number(
            (rows as { Variable_name: string; Value: string }[]).find(
              (r) => r.Variable_name === name,
            )?.Value,
          );
        return { deadlocks: value('Innodb_deadlocks'), waits: value('Innodb_row_lock_waits') };
      } finally {
        await connection.end();
      }
    },
    async claimInterleaved(count) {
      const claims = Array.from({ length: count }, (_, i) => claimOf(rivals.job(0), T0 + i * 1000));
      for (let i = 0; i < claims.length; i += 500)
        await rivals.stores.executions.claimFires('s1', claims.slice(i, i + 500), T0);
      return claims.map((c) => c.id);
    },
    async stop() {
      await rivals.close();
      await mariadb.stop();
    },
  };
}
