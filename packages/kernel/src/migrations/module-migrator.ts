/**
 * @module migrations/module-migrator
 * One module's migration stream: an Umzug instance over the module's `migrations` list,
 * recorded in the module's own table `scaigrid_migrations_<id>`. Separate tables per module
 * keep streams independent, so adding, removing or renaming one plugin never touches
 * another's history.
 */
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { RunnableMigration, UmzugStorage } from 'umzug';
import type { Module } from '../module.js';
import type { Database } from '../stores/types.js';
import { createMigrationContext, tablePrefix } from './migration-context.js';
import { MigrationError } from './migration-error.js';
import type { Migration } from './types.js';

/** @example migrationsTableName('dispatch-openai') // 'scaigrid_migrations_dispatch_openai' */
export function migrationsTableName(moduleId: string): string {
  return `scaigrid_migrations_${tablePrefix(moduleId)}`;
}

export interface ModuleMigrationStatus {
  moduleId: string;
  /** Recorded as applied, in the module's list order. */
  applied: string[];
  /** Listed by the module but not yet applied. */
  pending: string[];
  /** Recorded as applied but no longer listed by the module (an error for `migrate`). */
  missing: string[];
}

export interface ModuleMigratorOptions {
  log?: Logger;
  /** Runs before each migration; throwing stops the stream (used to check the lock is still ours). */
  beforeEach?: (migration: string) => void;
  onApplied?: (migration: string) => void;
}

export interface ModuleMigrator {
  readonly moduleId: string;
  /** Reads the module's table without creating it. */
  status(): Promise<ModuleMigrationStatus>;
  /** Fails with `MIGRATION_MISSING` if the table records a migration the module no longer lists; else the status. */
  verify(): Promise<ModuleMigrationStatus>;
  /** Applies the pending migrations in list order; returns their names. Call under the migration lock. */
  up(): Promise<string[]>;
}

/** Fails with `MIGRATION_DUPLICATE_NAME` before anything runs. */
export function assertUniqueMigrationNames(module: Pick<Module, 'id' | 'migrations'>): void {
  const seen = new Set<string>();
  for (const migration of module.migrations) {
    if (seen.has(migration.name)) {
      throw new MigrationError(
        'MIGRATION_DUPLICATE_NAME',
        module.id,
        migration.name,
        `Module '${module.id}' lists migration '${migration.name}' twice. ` +
          `Migration names identify what was applied, so each must be unique within the module; rename one.`,
      );
    }
    seen.add(migration.name);
  }
}

export function createModuleMigrator(
  database: Database,
  module: Pick<Module, 'id' | 'migrations'>,
  options: ModuleMigratorOptions = {},
): ModuleMigrator {
  assertUniqueMigrationNames(module);
  const moduleId = module.id;
  const table = migrationsTableName(moduleId);
  const listed = module.migrations.map((m) => m.name);

  const readApplied = async (): Promise<string[]> => {
    try {
      const rows = await database.db.selectFrom(table).select('name').execute();
      return rows.map((r: { name: string }) => r.name);
    } catch (err) {
      // Not migrated yet: status and /ready must not create tables as a side effect.
      if (isMissingTableError(err)) return [];
      throw err;
    }
  };

  const status = async (): Promise<ModuleMigrationStatus> => {
    const recorded = new Set(await readApplied());
    return {
      moduleId,
      applied: listed.filter((name) => recorded.has(name)),
      pending: listed.filter((name) => !recorded.has(name)),
      missing: [...recorded].filter((name) => !listed.includes(name)).sort(),
    };
  };

  const verify = async (): Promise<ModuleMigrationStatus> => {
    const current = await status();
    const { missing } = current;
    if (missing.length === 0) return current;
    throw new MigrationError(
      'MIGRATION_MISSING',
      moduleId,
      missing[0],
      `Module '${moduleId}' has applied migration '${missing[0]}' that is no longer in its migrations list` +
        (missing.length > 1 ? ` (also: ${missing.slice(1).join(', ')})` : '') +
        `. Restore it to the module's migrations (a migration that ran must stay listed), ` +
        `or if it was deliberately dropped, delete its row from ${table}.`,
    );
  };

  // Umzug logs through `storage.logMigration` after `up` returns; we record the name inside
  // the migration's own transaction instead (see `apply`), so on sqlite a crash can never
  // leave a migration applied but unrecorded. `logMigration` therefore does nothing.
  const storage: UmzugStorage = {
    executed: readApplied,
    async logMigration() {},
    async unlogMigration({ name }) {
      await database.db.deleteFrom(table).where('name', '=', name).execute();
    },
  };

  const apply = async (migration: Migration): Promise<void> => {
    const record = (db: Kysely<any>) => db.insertInto(table).values({ name: migration.name, applied_at: Date.now() }).execute();
    if (database.dialect === 'sqlite') {
      // sqlite DDL is transactional: the migration and its record commit together or not at all.
      await database.db.transaction().execute(async (trx) => {
        await migration.up(createMigrationContext(trx, 'sqlite', moduleId));
        await record(trx);
      });
    } else {
      // MariaDB commits implicitly on every DDL statement, so a transaction would promise an
      // atomicity it cannot give; run the migration, then record it.
      await migration.up(createMigrationContext(database.db, database.dialect, moduleId));
      await record(database.db);
    }
  };

  const up = async (): Promise<string[]> => {
    if (module.migrations.length === 0) return [];
    await ensureMigrationsTable(database, table);
    // Umzug is loaded only when there is something to apply, so an up-to-date start never pays
    // for it (from the sources it also loads its CLI framework; the bundle defers that, see build.mjs).
    if ((await verify()).pending.length === 0) return [];
    const { Umzug } = await import('./umzug.js');
    const umzug = new Umzug({
      migrations: module.migrations.map(
        (migration): RunnableMigration<unknown> => ({
          name: migration.name,
          up: async () => {
            options.beforeEach?.(migration.name);
            try {
              await apply(migration);
            } catch (cause) {
              throw failed(database, moduleId, migration.name, cause);
            }
          },
        }),
      ),
      storage,
      logger: undefined,
    });
    umzug.on('migrated', ({ name }) => {
      options.log?.info({ module: moduleId, migration: name }, 'migration applied');
      options.onApplied?.(name);
    });
    try {
      return (await umzug.up()).map((m) => m.name);
    } catch (err) {
      // Umzug wraps what `up` threw in its own MigrationError; ours already names the module.
      throw unwrapUmzugError(err);
    }
  };

  return Object.freeze({ moduleId, status, verify, up });
}

async function ensureMigrationsTable(database: Database, table: string): Promise<void> {
  const builder = database.db.schema
    .createTable(table)
    .ifNotExists()
    .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('applied_at', 'bigint', (c) => c.notNull());
  await (database.dialect === 'mysql' ? builder.modifyEnd(sql`engine=InnoDB`) : builder).execute();
}

function failed(database: Database, moduleId: string, migration: string, cause: unknown): unknown {
  // A lost lock is not this migration's fault; let it through unchanged.
  if ((cause as { name?: unknown } | null)?.name === 'MigrationLockError') return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  const aftermath =
    database.dialect === 'sqlite'
      ? 'It was rolled back'
      : 'DDL statements it ran before failing may remain (MariaDB commits DDL immediately); check them';
  return new MigrationError(
    'MIGRATION_FAILED',
    moduleId,
    migration,
    `Module '${moduleId}' migration '${migration}' failed: ${reason}. ${aftermath}, fix the migration and run migrate again; nothing after it ran.`,
    cause,
  );
}

function unwrapUmzugError(err: unknown): unknown {
  if (err instanceof Error && err.name === 'MigrationError' && !('moduleId' in err) && err.cause !== undefined) return err.cause;
  return err;
}

function isMissingTableError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === 'ER_NO_SUCH_TABLE' || (typeof e?.message === 'string' && e.message.includes('no such table'));
}
