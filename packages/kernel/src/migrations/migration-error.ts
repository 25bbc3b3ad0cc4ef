/**
 * @module migrations/migration-error
 * The error a migration run stops with. It always names the module and the migration, so the
 * operator knows which file to fix, and keeps the original failure as `cause`.
 */

export type MigrationErrorCode =
  /** A migration's `up` threw. */
  | 'MIGRATION_FAILED'
  /** The database records a migration the module no longer lists. */
  | 'MIGRATION_MISSING'
  /** Two migrations of one module share a name. */
  | 'MIGRATION_DUPLICATE_NAME';

export class MigrationError extends Error {
  readonly code: MigrationErrorCode;
  readonly moduleId: string;
  readonly migration: string;

  constructor(code: MigrationErrorCode, moduleId: string, migration: string, message: string, cause?: unknown) {
    super(`[${code}] ${message}`, cause === undefined ? undefined : { cause });
    this.name = 'MigrationError';
    this.code = code;
    this.moduleId = moduleId;
    this.migration = migration;
  }
}

export function isMigrationError(err: unknown): err is MigrationError {
  return err instanceof Error && err.name === 'MigrationError' && typeof (err as MigrationError).moduleId === 'string';
}
