export { SqlStores, migrateDatabase, openStores } from './sql-stores.js';
export type { OpenStoresOptions, TransactionStores } from './sql-stores.js';
export { connect } from './connect.js';
export {
  createDatabaseIfMissing,
  createDatabaseStatement,
  isMissingDatabase,
} from './create-database.js';
export type { CreateDatabaseOutcome } from './create-database.js';
export type { ConnectOptions, Connection } from './connect.js';
export {
  SQLITE_PROFILE,
  isTransientDatabaseError,
  mysqlFamilyProfile,
} from './database-profile.js';
export type { DatabaseProfile, DbErrorKind } from './database-profile.js';
export { MIGRATION_TABLE, carillonMigrations, migrateToLatest } from './migrations.js';
export type { MigrationOutcome } from './migrations.js';
export { StorageErrorCode } from './errors.js';
export { STORE_LIMITS } from './validate.js';
export { TRANSIENT_ATTEMPTS } from './retry.js';
export { SqlAuditStore } from './sql-audit-store.js';
export { SqlAlertStore } from './sql-alert-store.js';
export { SqlExecutionStore } from './sql-execution-store.js';
export { SqlGroupStore } from './sql-group-store.js';
export { SqlJobStore } from './sql-job-store.js';
export { SqlServerStore } from './sql-server-store.js';
export { SqlSubtaskStore } from './sql-subtask-store.js';
export { SqlUserStore } from './sql-user-store.js';
export type { Database } from './schema.js';
