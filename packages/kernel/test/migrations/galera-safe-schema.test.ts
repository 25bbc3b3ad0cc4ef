import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { defineModule } from '../../src/module.js';
import { MIGRATION_LOCK_TABLE, migrationsTableName, runMigrations } from '../../src/migrations/index.js';
import { assertGaleraSafe } from '../helpers/galera-check.js';
import { TEST_MYSQL_URL } from '../helpers/test-database.js';
import { traceModule, useTestDatabase } from './support.js';

// Galera properties (engine, primary keys) exist only on MariaDB, so this needs the server.
describe.runIf(Boolean(TEST_MYSQL_URL))('Galera-safe schema on MariaDB', () => {
  const env = useTestDatabase('mysql', 'galera');

  it('every table the migration machinery and a module create is InnoDB with a primary key', async () => {
    const journal: string[] = [];
    await runMigrations({
      database: env.database,
      modules: [traceModule('galera-a', ['0001', '0002'], journal), defineModule({ id: 'empty', version: '1.0.0' })],
      owner: 'test',
    });
    const report = await assertGaleraSafe(env.url);
    expect(report.map((t) => t.table).sort()).toEqual(
      [MIGRATION_LOCK_TABLE, migrationsTableName('galera-a'), 'galera_a_t0001', 'galera_a_t0002'].sort(),
    );
  });

  it('the check names a table that is not InnoDB or lacks a primary key', async () => {
    await sql`create table bad_no_pk (x int) engine=MyISAM`.execute(env.database.db);
    try {
      await expect(assertGaleraSafe(env.url)).rejects.toThrow(/bad_no_pk: engine is MyISAM, not InnoDB\n\s+bad_no_pk: no primary key/);
    } finally {
      await sql`drop table bad_no_pk`.execute(env.database.db);
    }
  });
});
