/**
 * @module migrations/0001_create_auth_tables
 * Partners, tenants, users and API keys. Ids are ULIDs (they cross instances; Galera must not
 * depend on auto-increment), times are epoch milliseconds, lists are JSON text. Every table
 * has a primary key and is InnoDB (via createTable) so that Galera replicates it.
 */
import type { Migration } from '@scaigrid/kernel';

export const createAuthTables: Migration = {
  name: '0001_create_auth_tables',
  async up({ db, table, createTable }) {
    await createTable('partners')
      .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
      .addColumn('slug', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(200)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await createTable('tenants')
      .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
      .addColumn('slug', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('name', 'varchar(200)', (c) => c.notNull())
      .addColumn('partner_id', 'varchar(26)', (c) => c.references(`${table('partners')}.id`))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex(`${table('tenants')}_partner`).on(table('tenants')).column('partner_id').execute();

    await createTable('users')
      .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
      .addColumn('tenant_id', 'varchar(26)', (c) => c.references(`${table('tenants')}.id`))
      .addColumn('partner_id', 'varchar(26)', (c) => c.references(`${table('partners')}.id`))
      .addColumn('email', 'varchar(320)', (c) => c.notNull())
      .addColumn('name', 'varchar(200)')
      .addColumn('roles', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint(`${table('users')}_tenant_email`, ['tenant_id', 'email'])
      .execute();
    await db.schema.createIndex(`${table('users')}_partner`).on(table('users')).column('partner_id').execute();

    // The bootstrap key has a fixed id, so two instances starting together cannot both create one.
    await createTable('api_keys')
      .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
      .addColumn('tenant_id', 'varchar(26)', (c) => c.references(`${table('tenants')}.id`))
      .addColumn('partner_id', 'varchar(26)', (c) => c.references(`${table('partners')}.id`))
      .addColumn('user_id', 'varchar(26)', (c) => c.references(`${table('users')}.id`))
      .addColumn('name', 'varchar(200)', (c) => c.notNull())
      .addColumn('hint', 'varchar(32)', (c) => c.notNull())
      .addColumn('hash', 'varchar(64)', (c) => c.notNull().unique())
      .addColumn('roles', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex(`${table('api_keys')}_tenant`).on(table('api_keys')).column('tenant_id').execute();
    await db.schema.createIndex(`${table('api_keys')}_partner`).on(table('api_keys')).column('partner_id').execute();
    await db.schema.createIndex(`${table('api_keys')}_user`).on(table('api_keys')).column('user_id').execute();
  },
};
