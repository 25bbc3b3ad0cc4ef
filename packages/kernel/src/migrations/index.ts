/**
 * @module migrations
 * Per-module migration streams run under one database-wide, Galera-safe lock.
 */
export type { Migration, MigrationContext } from './types.js';
export { createMigrationContext, tablePrefix } from './migration-context.js';
export { MigrationError, isMigrationError, type MigrationErrorCode } from './migration-error.js';
export {
  MIGRATION_LOCK_TABLE,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_LOCK_TTL_MS,
  MigrationLockError,
  acquireMigrationLock,
  type MigrationLock,
  type MigrationLockErrorCode,
  type MigrationLockOptions,
} from './migration-lock.js';
export { migrationsTableName, type ModuleMigrationStatus } from './module-migrator.js';
export { runMigrations, migrationStatus, type RunMigrationsOptions, type AppliedMigration } from './migration-runner.js';
