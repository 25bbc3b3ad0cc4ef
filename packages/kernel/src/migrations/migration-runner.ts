/**
 * @module migrations/migration-runner
 * Runs every module's migration stream in the registry's topological order, under one
 * database-wide lock, and reports what is applied and pending without the lock (for `/ready`
 * and the CLI). The first failure stops the whole run: a dependent module's migrations may
 * assume its dependencies' tables, so nothing after a failure may run.
 */
import type { Logger } from 'pino';
import type { Module } from '../module.js';
import type { Database } from '../stores/types.js';
import { acquireMigrationLock } from './migration-lock.js';
import { assertUniqueMigrationNames, createModuleMigrator, type ModuleMigrationStatus } from './module-migrator.js';

export { MigrationError, isMigrationError, type MigrationErrorCode } from './migration-error.js';

export interface RunMigrationsOptions {
  database: Database;
  /** Already in topological order (dependencies first), as the registry sorts them. */
  modules: readonly Module[];
  /** Who is migrating, e.g. `hostname:pid`; shown to instances waiting for the lock. */
  owner: string;
  log?: Logger;
  /** How long to wait for another instance's run (default 60 s). */
  lockTimeoutMs?: number;
  /** How long the lock outlives a crashed holder (default 30 s). */
  lockTtlMs?: number;
  onApplied?: (moduleId: string, migration: string) => void;
}

export interface AppliedMigration {
  moduleId: string;
  migration: string;
}

/**
 * Applies every pending migration; a second run applies nothing.
 * @example
 * const { applied } = await runMigrations({ database, modules, owner: `${hostname()}:${process.pid}` });
 */
export async function runMigrations(options: RunMigrationsOptions): Promise<{ applied: AppliedMigration[] }> {
  const { database, modules, log } = options;
  // Checked before the lock so that a broken module list has no side effect at all.
  for (const module of modules) assertUniqueMigrationNames(module);
  const withMigrations = modules.filter((m) => m.migrations.length > 0);
  const applied: AppliedMigration[] = [];
  if (withMigrations.length === 0) return { applied };

  const lock = await acquireMigrationLock(database, {
    owner: options.owner,
    ttlMs: options.lockTtlMs,
    timeoutMs: options.lockTimeoutMs,
    log,
  });
  try {
    const migrators = withMigrations.map((module) =>
      createModuleMigrator(database, module, {
        log,
        beforeEach: () => lock.assertHeld(),
        onApplied: (migration) => {
          applied.push({ moduleId: module.id, migration });
          options.onApplied?.(module.id, migration);
        },
      }),
    );
    // Every stream's history is checked before the first migration runs, so a module that
    // lost a migration stops the run before earlier modules change anything.
    for (const migrator of migrators) await migrator.verify();
    for (const migrator of migrators) await migrator.up();
    lock.assertHeld();
    log?.info({ count: applied.length }, applied.length ? 'migrations applied' : 'migrations up to date');
    return { applied };
  } finally {
    await lock.release().catch((err: unknown) => {
      // The row expires on its own; failing here would hide the run's real outcome.
      log?.warn({ err }, 'could not release the migration lock; it will expire');
    });
  }
}

/**
 * What each module has applied and what is pending, read without the lock and without
 * creating any table. Modules with no migrations report empty lists.
 */
export async function migrationStatus(database: Database, modules: readonly Module[]): Promise<ModuleMigrationStatus[]> {
  return Promise.all(modules.map((module) => createModuleMigrator(database, module).status()));
}
