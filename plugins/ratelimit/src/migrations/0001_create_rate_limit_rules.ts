/**
 * @module migrations/0001_create_rate_limit_rules
 * The rules table. A default rule has subject_key '*', so (scope, subject_key) can be unique
 * (a NULL would not be, on MariaDB). Ids are ULIDs and times epoch ms (Galera-safe).
 */
import type { Migration } from '@scaigrid/kernel';

export const createRateLimitRules: Migration = {
  name: '0001_create_rate_limit_rules',
  async up({ createTable, table }) {
    await createTable('rules')
      .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
      .addColumn('scope', 'varchar(16)', (c) => c.notNull())
      .addColumn('subject_key', 'varchar(64)', (c) => c.notNull())
      .addColumn('requests_per_minute', 'bigint')
      .addColumn('requests_per_window', 'bigint')
      .addColumn('tokens_per_minute', 'bigint')
      .addColumn('tokens_per_window', 'bigint')
      .addColumn('window_seconds', 'integer')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint(`${table('rules')}_scope_subject`, ['scope', 'subject_key'])
      .execute();
  },
};
