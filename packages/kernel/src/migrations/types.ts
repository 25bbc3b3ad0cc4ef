/**
 * @module migrations/types
 * What a module's migration looks like. Each module has its own stream, recorded in
 * `scaigrid_migrations_<id>`; tables a module creates are prefixed with its id.
 */
import type { Kysely, CreateTableBuilder } from 'kysely';
import type { SqlDialect } from '../stores/types.js';

export interface MigrationContext {
  db: Kysely<any>;
  dialect: SqlDialect;
  moduleId: string;
  /** The module's table name: `table('keys')` in module `auth` is `auth_keys`. */
  table(name: string): string;
  /** `db.schema.createTable(table(name))` with InnoDB on MariaDB (Galera needs it). Add a primary key. */
  createTable(name: string): CreateTableBuilder<string, never>;
}

export interface Migration {
  /** Unique within the module and sortable: `0001_create_keys`. */
  name: string;
  up(ctx: MigrationContext): Promise<void>;
  down?(ctx: MigrationContext): Promise<void>;
}
