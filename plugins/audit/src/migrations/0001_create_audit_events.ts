/**
 * @module migrations/0001_create_audit_events
 * The audit table. The ULID primary key sorts by time, so it is also the paging cursor and the
 * retention order; indexes serve the API's tenant and time filters. Galera-safe: InnoDB via
 * createTable, a primary key, no auto-increment.
 */
import type { Migration } from '@scaigrid/kernel';

export const createAuditEvents: Migration = {
  name: '0001_create_audit_events',
  async up({ db, createTable, table }) {
    await createTable('events')
      .addColumn('id', 'varchar(26)', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor_kind', 'varchar(16)', (c) => c.notNull())
      .addColumn('actor_id', 'varchar(200)')
      .addColumn('key_id', 'varchar(64)')
      .addColumn('user_id', 'varchar(64)')
      .addColumn('tenant_id', 'varchar(64)')
      .addColumn('partner_id', 'varchar(64)')
      .addColumn('method', 'varchar(8)', (c) => c.notNull())
      .addColumn('path', 'varchar(500)', (c) => c.notNull())
      .addColumn('status', 'integer', (c) => c.notNull())
      .addColumn('request_id', 'varchar(128)', (c) => c.notNull())
      .addColumn('summary', 'text')
      .execute();
    await db.schema.createIndex(`${table('events')}_at`).on(table('events')).column('at').execute();
    await db.schema.createIndex(`${table('events')}_tenant`).on(table('events')).columns(['tenant_id', 'id']).execute();
  },
};
