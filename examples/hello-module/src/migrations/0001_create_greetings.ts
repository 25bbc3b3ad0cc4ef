/**
 * @module migrations/0001_create_greetings
 * The greetings table: one row per greeting served. A ULID primary key, as Galera needs a
 * primary key on every table and ids must not rely on auto-increment.
 */
import type { Migration } from '@scaigrid/kernel';

export const createGreetings: Migration = {
  name: '0001_create_greetings',
  async up({ createTable }) {
    await createTable('greetings')
      .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
      .addColumn('name', 'varchar(100)', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
