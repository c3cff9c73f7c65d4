import { MysqlAdapter, MysqlDialect, sql } from 'kysely';
import type { DialectAdapter, Kysely } from 'kysely';

/** How long a migrator waits for another one of the same database: a long migration may run. */
const LOCK_WAIT_SECONDS = 60 * 60;

/**
 * The lock's name, computed by the server: the current database's, hashed to stay within
 * MySQL's 64 characters for a lock name (a database name alone may have 64).
 */
const LOCK_NAME = sql`concat('carillon-migrate-', md5(database()))`;

/**
 * Kysely's MySQL migration lock is one named lock for the whole server, whatever the database:
 * Carillons on different databases of one MySQL server (two clusters, staging beside
 * production, every file of the test suite) would wait for each other's migrations, and a
 * migrator frozen in one (SIGSTOP, a debugger) would hold up every other for an hour. This one
 * is taken per database. Like Kysely's, it is a session lock: MySQL releases it when the
 * migrator's connection ends, so a killed migrator does not keep it.
 */
class PerDatabaseLockMysqlAdapter extends MysqlAdapter {
  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    const { rows } = await sql<{
      got: number | null;
    }>`select get_lock(${LOCK_NAME}, ${sql.lit(LOCK_WAIT_SECONDS)}) as got`.execute(db);
    // Kysely goes on without the lock when the wait ends; two migrators would then run at once.
    if (Number(rows[0]?.got) !== 1) {
      throw new Error(
        `another migrator of this database held the migration lock for ${LOCK_WAIT_SECONDS} s`,
      );
    }
  }

  override async releaseMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`select release_lock(${LOCK_NAME})`.execute(db);
  }
}

/** Kysely's MySQL dialect with the migration lock taken per database. */
export class PerDatabaseLockMysqlDialect extends MysqlDialect {
  override createAdapter(): DialectAdapter {
    return new PerDatabaseLockMysqlAdapter();
  }
}
