import type SqliteDatabase from 'better-sqlite3';
import { cachingStatements } from './sqlite-statement-cache.js';
import { isAbsolute } from 'node:path';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteDriver,
  SqliteIntrospector,
  SqliteQueryCompiler,
  sql,
} from 'kysely';
import type { DatabaseConnection, Dialect } from 'kysely';
import { SQLITE_PROFILE, mysqlFamilyProfile } from './database-profile.js';
import type { DatabaseProfile } from './database-profile.js';
import { StorageErrorCode, storageError } from './errors.js';
import { PerDatabaseLockMysqlDialect } from './mysql-migration-lock.js';
import type { Database } from './schema.js';

/** How to reach a database. */
export interface ConnectOptions {
  /**
   * `mysql://user:password@host:3306/database` (MySQL 8 or MariaDB 10.6+; `mariadb://` too),
   * `sqlite:///absolute/path/file.db`, or `sqlite::memory:`.
   */
  readonly url: string;
  /** Connections in the MySQL pool; default 10. */
  readonly poolSize?: number;
  /** How long SQLite waits for another writer before failing, in ms; default 5,000. */
  readonly busyTimeoutMs?: number;
}

/** An open database: the Kysely handle and what the database can do. */
export interface Connection {
  readonly db: Kysely<Database>;
  readonly profile: DatabaseProfile;
}

/**
 * Opens a connection pool (MySQL) or the database file (SQLite in WAL mode, `synchronous=NORMAL`,
 * foreign keys on, `busy_timeout` set) and works out the database's profile.
 *
 * @throws CarillonError `CARILLON_STORAGE_UNSUPPORTED_URL` for a URL it cannot use; the driver's
 *   error if the database cannot be reached.
 */
export async function connect(options: ConnectOptions): Promise<Connection> {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch (error) {
    throw storageError(StorageErrorCode.UnsupportedUrl, 'not a database URL', error);
  }
  switch (url.protocol) {
    case 'mysql:':
    case 'mariadb:':
      return connectMysql(url, options.poolSize ?? 10);
    case 'sqlite:':
      return connectSqlite(
        url,
        options.busyTimeoutMs ?? 5000,
        await loadDriver('better-sqlite3', () => import('better-sqlite3')),
      );
    default:
      throw storageError(
        StorageErrorCode.UnsupportedUrl,
        `unsupported database URL scheme ${url.protocol} (use mysql: or sqlite:)`,
      );
  }
}

/**
 * Loads a database driver when its database is first used: each is an optional dependency, so
 * a deployment on MySQL needs no SQLite build and the other way round.
 */
async function loadDriver<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw storageError(
      StorageErrorCode.DriverMissing,
      `the ${name} package is needed for this database URL and could not be loaded: install it (npm install ${name})`,
      error,
    );
  }
}

async function connectMysql(url: URL, poolSize: number): Promise<Connection> {
  const { createPool } = await loadDriver('mysql2', () => import('mysql2'));
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '' || url.hostname === '') {
    throw storageError(
      StorageErrorCode.UnsupportedUrl,
      'a mysql URL needs a host and a database: mysql://user:password@host:port/database',
    );
  }
  const pool = createPool({
    host: url.hostname,
    port: url.port === '' ? 3306 : Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
    connectionLimit: poolSize,
    // BIGINT instants come back as numbers (they are far below 2^53); beyond, as strings.
    supportBigNumbers: true,
    bigNumberStrings: false,
    charset: 'UTF8MB4_BIN',
  });
  const db = new Kysely<Database>({ dialect: new PerDatabaseLockMysqlDialect({ pool }) });
  try {
    const { rows } = await sql<{ v: string }>`select version() as v`.execute(db);
    return { db, profile: mysqlFamilyProfile(rows[0]?.v ?? '') };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

/**
 * A deferred SQLite transaction that reads first and writes later fails at once (SQLITE_BUSY,
 * no waiting) when another connection wrote in between: its snapshot cannot be upgraded.
 * Taking the write lock at BEGIN makes it wait for `busy_timeout` instead.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite's DDL is transactional. Declaring it makes Kysely's Migrator run the whole migration
 * in one (immediate) transaction: that write lock is what keeps concurrent migrators apart,
 * since Kysely's SQLite migration lock does nothing (it assumes one connection).
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

function connectSqlite(
  url: URL,
  busyTimeoutMs: number,
  driver: { default: typeof SqliteDatabase },
): Connection {
  const Sqlite = driver.default;
  const path = url.pathname === ':memory:' ? ':memory:' : decodeURIComponent(url.pathname);
  if (url.hostname !== '' || (path !== ':memory:' && !isAbsolute(path))) {
    throw storageError(
      StorageErrorCode.UnsupportedUrl,
      'a sqlite URL names an absolute path, sqlite:///var/lib/carillon.db, or sqlite::memory:',
    );
  }
  const database = new Sqlite(path, { timeout: Math.max(0, Math.floor(busyTimeoutMs)) });
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  const profile = SQLITE_PROFILE;
  const dialect: Dialect = {
    createAdapter: () =>
      profile.migrationLock === 'immediate-transaction'
        ? new TransactionalDdlSqliteAdapter()
        : new SqliteAdapter(),
    createDriver: () => new ImmediateSqliteDriver({ database: cachingStatements(database) }),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createIntrospector: (db) => new SqliteIntrospector(db),
  };
  return { db: new Kysely<Database>({ dialect }), profile };
}
