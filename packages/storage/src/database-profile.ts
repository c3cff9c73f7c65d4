/**
 * What a database error means to the stores:
 * - `unique`: a unique or primary key would be duplicated;
 * - `foreign-key`: a referenced row is missing, or a row is still referenced;
 * - `transient`: a deadlock, a lock wait timeout, a busy or read-only database, or a connection
 *   lost, killed or refused: the statement may be retried (on another connection);
 * - `exists`: a table, index or column of that name exists (a migration step ran before);
 * - `other`: anything else.
 */
export type DbErrorKind = 'unique' | 'foreign-key' | 'transient' | 'exists' | 'other';

/**
 * Everything the stores need to know about a database, as capabilities. The stores branch on
 * these flags, never on which database it is, so a third database is a new profile, not a hunt
 * through the code.
 */
export interface DatabaseProfile {
  /** For messages and benchmark figures only; code never branches on it. */
  readonly label: string;
  /** How an insert skips rows whose unique key exists: `INSERT IGNORE` or `ON CONFLICT DO NOTHING`. */
  readonly insertIgnore: 'ignore' | 'on-conflict';
  /** How an insert updates the row whose key exists: `ON DUPLICATE KEY UPDATE` or `ON CONFLICT (…) DO UPDATE`. */
  readonly upsert: 'on-duplicate-key' | 'on-conflict';
  /** `UPDATE … RETURNING` works (one statement both changes rows and says which). */
  readonly supportsUpdateReturning: boolean;
  /**
   * How an UPDATE takes each row's values from a table of rows: MySQL's `UPDATE t JOIN v ON …
   * SET …`, or `UPDATE t SET … FROM v WHERE …` (SQLite 3.33 and later).
   */
  readonly updateFrom: 'join' | 'from';
  /** How rows of values are written: `VALUES (…), (…)`, or MySQL 8's `VALUES ROW(…), ROW(…)`. */
  readonly valuesRow: boolean;
  /** `SELECT … FOR UPDATE` locks rows until the transaction ends. */
  readonly supportsRowLocks: boolean;
  /** `FOR UPDATE SKIP LOCKED` works. */
  readonly supportsSkipLocked: boolean;
  /** One connection per process (every call queues on it); transactions block all others. */
  readonly singleConnection: boolean;
  /**
   * How concurrent migrators are kept apart: an advisory lock held on the migration's connection
   * (Kysely's `get_lock`), or an immediate (write-locking) transaction around the whole run.
   */
  readonly migrationLock: 'advisory-lock' | 'immediate-transaction';
  /** `CREATE INDEX IF NOT EXISTS` works; otherwise a duplicate index name is caught instead. */
  readonly supportsCreateIndexIfNotExists: boolean;
  /** Column type for texts up to a few MiB (parameters, results, log lines). */
  readonly largeTextType: 'mediumtext' | 'text';
  /** Appended to every `CREATE TABLE` (character set and collation). */
  readonly tableOptions: string;
  /**
   * An SQL expression for the database's clock in ms since the epoch (UTC), constant within a
   * statement: heartbeats are stamped with it, so that servers' beats compare on one clock.
   */
  readonly nowMsSql: string;
  /** Most bind parameters one statement may carry. */
  readonly maxBindParameters: number;
  /** Classifies an error thrown by the driver. */
  readonly classifyError: (error: unknown) => DbErrorKind;
}

function field(error: unknown, name: string): unknown {
  return typeof error === 'object' && error !== null
    ? (error as Record<string, unknown>)[name]
    : undefined;
}

const MYSQL_ERRNO: Readonly<Record<number, DbErrorKind>> = {
  1062: 'unique', // ER_DUP_ENTRY
  1451: 'foreign-key', // ER_ROW_IS_REFERENCED_2
  1452: 'foreign-key', // ER_NO_REFERENCED_ROW_2
  1213: 'transient', // ER_LOCK_DEADLOCK
  1205: 'transient', // ER_LOCK_WAIT_TIMEOUT
  1040: 'transient', // ER_CON_COUNT_ERROR (too many connections)
  1053: 'transient', // ER_SERVER_SHUTDOWN
  1290: 'transient', // ER_OPTION_PREVENTS_STATEMENT (--read-only)
  1317: 'transient', // ER_QUERY_INTERRUPTED (KILL QUERY)
  1792: 'transient', // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  1836: 'transient', // ER_READ_ONLY_MODE
  1927: 'transient', // ER_CONNECTION_KILLED (MariaDB)
  2006: 'transient', // CR_SERVER_GONE_ERROR
  2013: 'transient', // CR_SERVER_LOST
  1050: 'exists', // ER_TABLE_EXISTS_ERROR
  1060: 'exists', // ER_DUP_FIELDNAME
  1061: 'exists', // ER_DUP_KEYNAME
  1826: 'exists', // ER_FK_DUP_NAME
};

// Errors of the driver's socket rather than of the server: the connection is gone (killed,
// reset, timed out) or could not be made; mysql2 drops such a connection from its pool, so the
// next statement gets a fresh one.
const MYSQL_CONNECTION_CODES: ReadonlySet<string> = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTCONN',
]);

/**
 * True when `error`, from either database's driver, may pass on a later try: the database is
 * unreachable, starting, shutting down or contended. For code that has no profile yet, such as
 * a process's first connection.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  return classifyMysqlError(error) === 'transient' || classifySqliteError(error) === 'transient';
}

function classifyMysqlError(error: unknown): DbErrorKind {
  const errno = field(error, 'errno');
  if (typeof errno === 'number' && MYSQL_ERRNO[errno] !== undefined) return MYSQL_ERRNO[errno];
  const code = field(error, 'code');
  if (typeof code === 'string' && MYSQL_CONNECTION_CODES.has(code)) return 'transient';
  // mysql2 marks an error that left the connection unusable `fatal`, some with no code (a
  // statement on a connection that died: "Can't add new command when connection is in closed
  // state"); the pool drops that connection, so the same statement may go through on another.
  return field(error, 'fatal') === true ? 'transient' : 'other';
}

function classifySqliteError(error: unknown): DbErrorKind {
  const code = field(error, 'code');
  if (typeof code !== 'string') return 'other';
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
    return 'unique';
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign-key';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'transient';
  const message = field(error, 'message');
  if (
    code === 'SQLITE_ERROR' &&
    typeof message === 'string' &&
    (/ already exists$/.test(message) || /^duplicate column name: /.test(message))
  )
    return 'exists';
  return 'other';
}

/**
 * The profile of a MySQL-family server (MySQL 8 or MariaDB), from `SELECT VERSION()`.
 * MariaDB has `CREATE INDEX IF NOT EXISTS`, MySQL does not; both lock rows, neither has
 * `UPDATE … RETURNING`; SKIP LOCKED needs MariaDB 10.6 or MySQL 8.0.1.
 */
export function mysqlFamilyProfile(serverVersion: string): DatabaseProfile {
  const isMaria = /mariadb/i.test(serverVersion);
  const [major = 0, minor = 0] = serverVersion.split(/[.-]/).map((part) => Number(part));
  const atLeast = (ma: number, mi: number): boolean => major > ma || (major === ma && minor >= mi);
  return Object.freeze({
    label: isMaria ? 'mariadb' : 'mysql',
    insertIgnore: 'ignore',
    upsert: 'on-duplicate-key',
    supportsUpdateReturning: false,
    updateFrom: 'join',
    valuesRow: !isMaria,
    supportsRowLocks: true,
    supportsSkipLocked: isMaria ? atLeast(10, 6) : atLeast(8, 0),
    singleConnection: false,
    migrationLock: 'advisory-lock',
    supportsCreateIndexIfNotExists: isMaria,
    largeTextType: 'mediumtext',
    // Binary collation: identifiers and names compare byte for byte, as they do on SQLite.
    tableOptions: 'default character set utf8mb4 collate utf8mb4_bin',
    // UTC_TIMESTAMP, not NOW: no session time zone (nor its daylight saving hour) involved.
    nowMsSql: "(timestampdiff(microsecond, '1970-01-01 00:00:00', utc_timestamp(3)) div 1000)",
    maxBindParameters: 65_535,
    classifyError: classifyMysqlError,
  });
}

/** The profile of SQLite (3.35 or later, for `RETURNING`) through better-sqlite3. */
export const SQLITE_PROFILE: DatabaseProfile = Object.freeze({
  label: 'sqlite',
  insertIgnore: 'on-conflict',
  upsert: 'on-conflict',
  supportsUpdateReturning: true,
  updateFrom: 'from',
  valuesRow: false,
  supportsRowLocks: false,
  supportsSkipLocked: false,
  singleConnection: true,
  migrationLock: 'immediate-transaction',
  supportsCreateIndexIfNotExists: true,
  largeTextType: 'text',
  tableOptions: '',
  // 'now' is fixed for the whole statement, to the millisecond.
  nowMsSql: "cast(round((julianday('now') - 2440587.5) * 86400000.0) as integer)",
  maxBindParameters: 32_766,
  classifyError: classifySqliteError,
});
