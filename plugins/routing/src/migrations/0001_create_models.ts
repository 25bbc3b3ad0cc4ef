/**
 * @module migrations/0001_create_models
 * Models and their backends. Ids are ULIDs (they cross instances; Galera needs no
 * auto-increment reliance); prices are integer micro-units per million tokens; JSON fields
 * are text so both SQLite and MariaDB store them the same way.
 */
import type { Migration } from '@scaigrid/kernel';

export const createModels: Migration = {
  name: '0001_create_models',
  async up({ db, createTable, table }) {
    await createTable('models')
      .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
      .addColumn('slug', 'varchar(128)', (c) => c.notNull().unique())
      .addColumn('kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('policy', 'varchar(16)', (c) => c.notNull())
      .addColumn('currency', 'varchar(8)', (c) => c.notNull())
      .addColumn('metadata', 'text', (c) => c.notNull())
      .addColumn('visibility', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await createTable('backends')
      .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
      .addColumn('model_id', 'varchar(26)', (c) => c.notNull())
      .addColumn('provider_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('upstream_model', 'varchar(255)', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('weight', 'integer', (c) => c.notNull())
      .addColumn('input_price_micros', 'bigint', (c) => c.notNull())
      .addColumn('output_price_micros', 'bigint', (c) => c.notNull())
      .addColumn('context_window', 'integer')
      .addColumn('options', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex(`${table('backends')}_model_id`).on(table('backends')).column('model_id').execute();
  },
};
