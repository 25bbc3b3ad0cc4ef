/**
 * @module migrations/0001_create_accounting_tables
 * Budgets and usage records. Money is integer micro-units (bigint); times are epoch ms.
 * A usage row's primary key is the accounting id the gateway gave the request (a ULID, unique
 * per dispatched request even when clients reuse an `X-Request-Id`), which is what makes the
 * flusher's re-writes after a crash harmless. `day` (UTC `YYYY-MM-DD`) is stored so that
 * grouping by day needs no dialect-specific date function.
 */
import type { Migration } from '@scaigrid/kernel';

export const createAccountingTables: Migration = {
  name: '0001_create_accounting_tables',
  async up({ db, createTable, table }) {
    await createTable('budgets')
      .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
      .addColumn('scope', 'varchar(16)', (c) => c.notNull())
      .addColumn('subject_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('period', 'varchar(16)', (c) => c.notNull())
      .addColumn('amount_micros', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'varchar(8)', (c) => c.notNull())
      .addColumn('tenant_id', 'varchar(64)')
      .addColumn('partner_id', 'varchar(64)')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex(`${table('budgets')}_subject`)
      .on(table('budgets'))
      .columns(['scope', 'subject_id', 'period', 'currency'])
      .unique()
      .execute();

    await createTable('usage')
      .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
      .addColumn('request_id', 'varchar(128)', (c) => c.notNull())
      .addColumn('key_id', 'varchar(64)')
      .addColumn('user_id', 'varchar(64)')
      .addColumn('tenant_id', 'varchar(64)')
      .addColumn('partner_id', 'varchar(64)')
      .addColumn('model', 'varchar(128)', (c) => c.notNull())
      .addColumn('backend_id', 'varchar(64)')
      .addColumn('provider', 'varchar(64)')
      .addColumn('tokens_in', 'bigint', (c) => c.notNull())
      .addColumn('tokens_out', 'bigint', (c) => c.notNull())
      .addColumn('cost_micros', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'varchar(8)', (c) => c.notNull())
      .addColumn('latency_ms', 'integer', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('estimated', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('day', 'varchar(10)', (c) => c.notNull())
      .execute();
    for (const column of ['created_at', 'request_id', 'tenant_id', 'key_id']) {
      await db.schema.createIndex(`${table('usage')}_${column}`).on(table('usage')).column(column).execute();
    }
  },
};
