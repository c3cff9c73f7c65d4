import { createConnection } from 'mysql2/promise';
import { startMariaDb } from '@carillon/testkit';
import type { MariaDbServer, TestDatabase } from '@carillon/testkit';
import { openRivalStores } from './rival-stores.js';
import type { RivalStores } from './rival-stores.js';

/** Two store instances on a throwaway mariadbd of their own, and its lock counters. */
export interface OwnMariaDbRivals extends RivalStores {
  /** InnoDB's deadlocks and row lock waits since the server started: this test's alone. */
  readonly lockCounters: () => Promise<{ deadlocks: number; waits: number }>;
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
    async stop() {
      await rivals.close();
      await mariadb.stop();
    },
  };
}
