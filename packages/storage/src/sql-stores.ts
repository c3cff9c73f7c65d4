import type { Kysely } from 'kysely';
import type { Stores } from '@carillon/core';
import { connect } from './connect.js';
import type { ConnectOptions } from './connect.js';
import type { DatabaseProfile } from './database-profile.js';
import { migrateToLatest } from './migrations.js';
import type { MigrationOutcome } from './migrations.js';
import type { Database } from './schema.js';
import type { Db } from './sql-helpers.js';
import { SqlAlertStore } from './sql-alert-store.js';
import { SqlAuditStore } from './sql-audit-store.js';
import { SqlExecutionStore } from './sql-execution-store.js';
import { SqlGroupStore } from './sql-group-store.js';
import { SqlJobStore } from './sql-job-store.js';
import { SqlServerStore } from './sql-server-store.js';
import { SqlSessionStore } from './sql-session-store.js';
import { SqlSubtaskStore } from './sql-subtask-store.js';
import { SqlUserStore } from './sql-user-store.js';

/** Options of {@link SqlStores.open}. */
export interface OpenStoresOptions extends ConnectOptions {
  /** Bring the schema up to date before returning; default true. */
  readonly migrate?: boolean;
}

/** The stores bound to one transaction, as `Stores.transaction` hands them to its work. */
export type TransactionStores = Omit<Stores, 'transaction' | 'close' | 'isTransient'>;

function bind(db: Db, profile: DatabaseProfile): TransactionStores {
  return {
    jobs: new SqlJobStore(db, profile),
    groups: new SqlGroupStore(db, profile),
    executions: new SqlExecutionStore(db, profile),
    subtasks: new SqlSubtaskStore(db, profile),
    users: new SqlUserStore(db, profile),
    audit: new SqlAuditStore(db, profile),
    servers: new SqlServerStore(db, profile),
    sessions: new SqlSessionStore(db, profile),
    alerts: new SqlAlertStore(db, profile),
  };
}

/**
 * Every store over one database (MySQL/MariaDB or SQLite), built with {@link SqlStores.open}.
 *
 * @example
 * const stores = await SqlStores.open({ url: 'sqlite:///var/lib/carillon/carillon.db' });
 * const group = await stores.groups.create({ cluster: 101, serverGroup: 1, backups: 2, name: 'billing' }, Date.now());
 * await stores.close();
 */
export class SqlStores implements Stores {
  readonly jobs: SqlJobStore;
  readonly groups: SqlGroupStore;
  readonly executions: SqlExecutionStore;
  readonly subtasks: SqlSubtaskStore;
  readonly users: SqlUserStore;
  readonly audit: SqlAuditStore;
  readonly servers: SqlServerStore;
  readonly sessions: SqlSessionStore;
  readonly alerts: SqlAlertStore;
  /** What the database can do (and its label, for figures). */
  readonly profile: DatabaseProfile;
  /** What the opening migration applied (empty when it was skipped or up to date). */
  readonly migration: MigrationOutcome;
  readonly #db: Kysely<Database>;

  private constructor(db: Kysely<Database>, profile: DatabaseProfile, migration: MigrationOutcome) {
    this.#db = db;
    this.profile = profile;
    this.migration = migration;
    this.jobs = new SqlJobStore(db, profile);
    this.groups = new SqlGroupStore(db, profile);
    this.executions = new SqlExecutionStore(db, profile);
    this.subtasks = new SqlSubtaskStore(db, profile);
    this.users = new SqlUserStore(db, profile);
    this.audit = new SqlAuditStore(db, profile);
    this.servers = new SqlServerStore(db, profile);
    this.sessions = new SqlSessionStore(db, profile);
    this.alerts = new SqlAlertStore(db, profile);
  }

  /**
   * Connects (see {@link connect}) and, unless `migrate: false`, brings the schema up to date;
   * safe when several processes open the same database at once.
   *
   * @throws CarillonError `CARILLON_STORAGE_UNSUPPORTED_URL` for a bad URL,
   *   `CARILLON_STORAGE_MIGRATION_FAILED` if a migration fails (the connection is closed then).
   */
  static async open(options: OpenStoresOptions): Promise<SqlStores> {
    const { db, profile } = await connect(options);
    try {
      const migration =
        options.migrate === false ? { applied: [] } : await migrateToLatest(db, profile);
      return new SqlStores(db, profile, migration);
    } catch (error) {
      await db.destroy();
      throw error;
    }
  }

  /** See {@link Stores.isTransient}: the profile's class of the error, or of what it wraps. */
  isTransient(error: unknown): boolean {
    // A statement that stayed contended through its retries comes wrapped, with the cause.
    for (let e = error, depth = 0; e !== undefined && depth < 5; depth++) {
      if (this.profile.classifyError(e) === 'transient') return true;
      e = e instanceof Error ? e.cause : undefined;
    }
    return false;
  }

  /**
   * Runs `work` with stores bound to one transaction: commits when it resolves, rolls back when
   * it throws. Nothing is retried. Inside, use only the stores handed in: with a single
   * connection (SQLite) the outer ones wait for the transaction to end.
   */
  transaction<T>(work: (stores: TransactionStores) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute((trx) => work(bind(trx, this.profile)));
  }

  /** Closes the pool or the database file. */
  async close(): Promise<void> {
    await this.#db.destroy();
  }
}

/**
 * Opens the stores of a database; the same as {@link SqlStores.open}.
 *
 * @throws see {@link SqlStores.open}.
 */
export function openStores(options: OpenStoresOptions): Promise<SqlStores> {
  return SqlStores.open(options);
}

/**
 * Brings a database's schema up to date and closes it again (for `carillon migrate`).
 *
 * @throws CarillonError `CARILLON_STORAGE_MIGRATION_FAILED` if a migration fails.
 */
export async function migrateDatabase(options: ConnectOptions): Promise<MigrationOutcome> {
  const { db, profile } = await connect(options);
  try {
    return await migrateToLatest(db, profile);
  } finally {
    await db.destroy();
  }
}
