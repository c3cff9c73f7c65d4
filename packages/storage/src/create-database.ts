import { StorageErrorCode, storageError } from './errors.js';

/** What {@link createDatabaseIfMissing} found or did. */
export type CreateDatabaseOutcome = 'created' | 'exists' | 'not-applicable';

const ER_BAD_DB_ERROR = 1049;
const ER_DBACCESS_DENIED_ERROR = 1044;
const ACCESS_DENIED = new Set([ER_DBACCESS_DENIED_ERROR, 1045, 1142, 1227]);

/**
 * True when `error` (or one of its causes) is MySQL's "Unknown database", or its "Access denied
 * to database", which is what a user without global rights gets for a database that does not
 * exist.
 */
export function isMissingDatabase(error: unknown): boolean {
  for (let e = error, depth = 0; e !== null && e !== undefined && depth < 5; depth++) {
    const errno = (e as { errno?: unknown }).errno;
    if (errno === ER_BAD_DB_ERROR || errno === ER_DBACCESS_DENIED_ERROR) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The statement an administrator runs to create the database a MySQL URL names, with the
 * character set and collation the migrations expect.
 */
export function createDatabaseStatement(url: string): string {
  return `CREATE DATABASE IF NOT EXISTS \`${databaseOf(new URL(url))}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`;
}

/**
 * Creates the database a `mysql://` (or `mariadb://`) URL names if it does not exist, connecting
 * as the URL's user without a default database. SQLite creates its file on open: nothing to do.
 *
 * @throws CarillonError `CARILLON_STORAGE_CANNOT_CREATE_DATABASE` when the user may not create
 *   it (the message gives the statement to run); the driver's error when the server cannot be
 *   reached.
 */
export async function createDatabaseIfMissing(url: string): Promise<CreateDatabaseOutcome> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') return 'not-applicable';
  const database = databaseOf(parsed);
  const user = decodeURIComponent(parsed.username);
  const { createConnection } = await import('mysql2/promise');
  const connection = await createConnection({
    host: parsed.hostname,
    port: parsed.port === '' ? 3306 : Number(parsed.port),
    user,
    password: decodeURIComponent(parsed.password),
  });
  try {
    const [rows] = await connection.query(
      'select 1 from information_schema.schemata where schema_name = ?',
      [database],
    );
    if (Array.isArray(rows) && rows.length > 0) return 'exists';
    await connection.query(createDatabaseStatement(url));
    return 'created';
  } catch (error) {
    const errno = (error as { errno?: unknown }).errno;
    if (typeof errno === 'number' && ACCESS_DENIED.has(errno)) {
      throw storageError(
        StorageErrorCode.CannotCreateDatabase,
        `the database "${database}" does not exist (or user "${user}" has no rights on it) and "${user}" may not create it; ` +
          `as a MySQL administrator, run: ${createDatabaseStatement(url)}; GRANT ALL ON \`${database}\`.* TO '${user}'@'%'`,
        error,
        { database },
      );
    }
    throw error;
  } finally {
    await connection.end();
  }
}

function databaseOf(url: URL): string {
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('`')) {
    throw storageError(
      StorageErrorCode.UnsupportedUrl,
      'a mysql URL needs a database name without backquotes: mysql://user:password@host:port/database',
    );
  }
  return database;
}
