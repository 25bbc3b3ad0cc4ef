import { Kysely, MysqlDialect, SqliteDialect } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createMigrationContext } from '../../src/migrations/index.js';

// Compiling needs no server: the pool/database factories are never called.
const unused = async (): Promise<never> => {
  throw new Error('not connected');
};
const mysql = new Kysely<any>({ dialect: new MysqlDialect({ pool: unused }) });
const sqlite = new Kysely<any>({ dialect: new SqliteDialect({ database: unused }) });

describe('createMigrationContext', () => {
  it('prefixes table names with the module id, hyphens as underscores', () => {
    const ctx = createMigrationContext(sqlite, 'sqlite', 'dispatch-openai');
    expect(ctx.table('keys')).toBe('dispatch_openai_keys');
    expect(ctx.moduleId).toBe('dispatch-openai');
  });

  it('creates InnoDB tables on MariaDB, whatever the server default engine', () => {
    const ctx = createMigrationContext(mysql, 'mysql', 'auth');
    const { sql } = ctx.createTable('keys').addColumn('id', 'varchar(26)', (c) => c.primaryKey()).compile();
    expect(sql).toBe('create table `auth_keys` (`id` varchar(26) primary key) engine=InnoDB');
  });

  it('adds no engine clause on sqlite', () => {
    const ctx = createMigrationContext(sqlite, 'sqlite', 'auth');
    const { sql } = ctx.createTable('keys').addColumn('id', 'text', (c) => c.primaryKey()).compile();
    expect(sql).toBe('create table "auth_keys" ("id" text primary key)');
  });
});
