/**
 * @module migrations/migration-context
 * Builds the `MigrationContext` a module's migrations receive: the Kysely handle (a
 * transaction on sqlite), the dialect, and helpers that keep the module's tables under its
 * own prefix and InnoDB on MariaDB, because Galera replicates only InnoDB tables.
 */
import { sql, type Kysely } from 'kysely';
import type { SqlDialect } from '../stores/types.js';
import type { MigrationContext } from './types.js';

/**
 * The prefix of every table a module owns: its id with hyphens as underscores, because a
 * hyphen in an SQL identifier would need quoting everywhere it is used.
 * @example tablePrefix('dispatch-openai') // 'dispatch_openai'
 */
export function tablePrefix(moduleId: string): string {
  return moduleId.replaceAll('-', '_');
}

/**
 * @example
 * const ctx = createMigrationContext(db, 'mysql', 'auth');
 * await ctx.createTable('keys').addColumn('id', 'varchar(26)', (c) => c.primaryKey()).execute();
 * // creates `auth_keys` with ENGINE=InnoDB
 */
export function createMigrationContext(db: Kysely<any>, dialect: SqlDialect, moduleId: string): MigrationContext {
  const prefix = tablePrefix(moduleId);
  const table = (name: string): string => `${prefix}_${name}`;
  return Object.freeze({
    db,
    dialect,
    moduleId,
    table,
    createTable(name: string) {
      const builder = db.schema.createTable(table(name));
      // A server default of MyISAM or Aria would silently make the table unreplicated on Galera.
      return dialect === 'mysql' ? builder.modifyEnd(sql`engine=InnoDB`) : builder;
    },
  });
}
