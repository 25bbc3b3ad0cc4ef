/**
 * @module migrations/0001_create_providers
 * Provider instances. No secret column on purpose: credentials live in the environment
 * variable named by `api_key_env`.
 */
import type { Migration } from '@scaigrid/kernel';

export const createProviders: Migration = {
  name: '0001_create_providers',
  async up({ createTable }) {
    await createTable('providers')
      .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('kind', 'varchar(32)', (c) => c.notNull())
      .addColumn('base_url', 'varchar(1024)', (c) => c.notNull())
      .addColumn('api_key_env', 'varchar(128)')
      .addColumn('options', 'text', (c) => c.notNull())
      .addColumn('timeout_ms', 'integer')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
