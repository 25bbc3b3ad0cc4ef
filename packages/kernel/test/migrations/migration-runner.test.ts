import { describe, expect, it } from 'vitest';
import { defineModule } from '../../src/module.js';
import {
  MIGRATION_LOCK_TABLE,
  MigrationError,
  migrationStatus,
  migrationsTableName,
  runMigrations,
} from '../../src/migrations/index.js';
import { BACKENDS, tableNames, traceModule, uniqueId, useTestDatabase } from './support.js';

for (const backend of BACKENDS) {
  // MariaDB only where SCAIGRID_TEST_DATABASE_URL points at a server; sqlite always.
  describe.runIf(backend.enabled)(`runMigrations on ${backend.dialect}`, () => {
    const env = useTestDatabase(backend.dialect, 'runner');

    it('applies streams in the given order, and a second run applies nothing', async () => {
      const journal: string[] = [];
      const [a, b, c] = [uniqueId('core-a'), uniqueId('b'), uniqueId('c')];
      const modules = [
        traceModule(a, ['0001_x', '0002_y'], journal),
        traceModule(b, ['0001_x'], journal, { dependsOn: [a] }),
        defineModule({ id: c, version: '1.0.0' }),
      ];
      const seen: string[] = [];
      const first = await runMigrations({
        database: env.database,
        modules,
        owner: 'test',
        onApplied: (moduleId, migration) => seen.push(`${moduleId}:${migration}`),
      });
      const expected = [`${a}:0001_x`, `${a}:0002_y`, `${b}:0001_x`];
      expect(journal).toEqual(expected);
      expect(seen).toEqual(expected);
      expect(first.applied.map((x) => `${x.moduleId}:${x.migration}`)).toEqual(expected);

      const second = await runMigrations({ database: env.database, modules, owner: 'test' });
      expect(second.applied).toEqual([]);
      expect(journal).toEqual(expected);

      const tables = await tableNames(env.database);
      // One history table per module with migrations, hyphens as underscores; none for `c`.
      expect(tables).toContain(migrationsTableName(a));
      expect(migrationsTableName(a)).toBe(`scaigrid_migrations_${a.replaceAll('-', '_')}`);
      expect(tables).toContain(migrationsTableName(b));
      expect(tables).not.toContain(migrationsTableName(c));
      expect(tables).toContain(`${a.replaceAll('-', '_')}_t0001_x`);
      // The lock is released after the run.
      const locks = await env.database.db.selectFrom(MIGRATION_LOCK_TABLE).selectAll().execute();
      expect(locks).toEqual([]);
    });

    it('applies only what is new when a module adds migrations', async () => {
      const journal: string[] = [];
      const a = uniqueId('grow');
      await runMigrations({ database: env.database, modules: [traceModule(a, ['0001'], journal)], owner: 'test' });
      const { applied } = await runMigrations({
        database: env.database,
        modules: [traceModule(a, ['0001', '0002'], journal)],
        owner: 'test',
      });
      expect(applied).toEqual([{ moduleId: a, migration: '0002' }]);
      expect(journal).toEqual([`${a}:0001`, `${a}:0002`]);
    });

    it('stops at the first failure, naming module, migration and cause; nothing after it runs', async () => {
      const journal: string[] = [];
      const [a, b] = [uniqueId('fails'), uniqueId('after')];
      const modules = [
        traceModule(a, ['0001', '0002', '0003'], journal, { failing: ['0002'] }),
        traceModule(b, ['0001'], journal, { dependsOn: [a] }),
      ];
      const err = await runMigrations({ database: env.database, modules, owner: 'test' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MigrationError);
      const failure = err as MigrationError;
      expect(failure.code).toBe('MIGRATION_FAILED');
      expect(failure.moduleId).toBe(a);
      expect(failure.migration).toBe('0002');
      expect((failure.cause as Error).message).toBe('boom in 0002');
      expect(failure.message).toContain(`Module '${a}' migration '0002' failed: boom in 0002`);
      expect(journal).toEqual([`${a}:0001`, `${a}:0002`]);

      const status = await migrationStatus(env.database, modules);
      expect(status).toEqual([
        { moduleId: a, applied: ['0001'], pending: ['0002', '0003'], missing: [] },
        { moduleId: b, applied: [], pending: ['0001'], missing: [] },
      ]);
      const tables = await tableNames(env.database);
      expect(tables).not.toContain(migrationsTableName(b));
      if (backend.dialect === 'sqlite') {
        // sqlite runs each migration in a transaction: the failed one's table is rolled back.
        expect(tables).not.toContain(`${a.replaceAll('-', '_')}_t0002`);
      }
      const locks = await env.database.db.selectFrom(MIGRATION_LOCK_TABLE).selectAll().execute();
      expect(locks).toEqual([]);
    });

    it('fails when an applied migration is no longer listed, before any stream runs', async () => {
      const journal: string[] = [];
      const [early, a] = [uniqueId('early'), uniqueId('shrink')];
      await runMigrations({ database: env.database, modules: [traceModule(a, ['0001', '0002'], journal)], owner: 'test' });
      journal.length = 0;

      const modules = [traceModule(early, ['0001'], journal), traceModule(a, ['0002'], journal, { dependsOn: [early] })];
      const err = (await runMigrations({ database: env.database, modules, owner: 'test' }).catch((e: unknown) => e)) as MigrationError;
      expect(err).toBeInstanceOf(MigrationError);
      expect(err.code).toBe('MIGRATION_MISSING');
      expect(err.moduleId).toBe(a);
      expect(err.migration).toBe('0001');
      expect(err.message).toContain(
        `[MIGRATION_MISSING] Module '${a}' has applied migration '0001' that is no longer in its migrations list`,
      );
      expect(journal).toEqual([]);
      const [status] = await migrationStatus(env.database, [modules[1]]);
      expect(status.missing).toEqual(['0001']);
    });

    it('rejects duplicate migration names before touching the database', async () => {
      const journal: string[] = [];
      const a = uniqueId('dup');
      const modules = [traceModule(a, ['0001', '0001'], journal)];
      const err = (await runMigrations({ database: env.database, modules, owner: 'test' }).catch((e: unknown) => e)) as MigrationError;
      expect(err).toBeInstanceOf(MigrationError);
      expect(err.code).toBe('MIGRATION_DUPLICATE_NAME');
      expect(err.message).toContain(`Module '${a}' lists migration '0001' twice`);
      expect(journal).toEqual([]);
      expect(await tableNames(env.database)).not.toContain(migrationsTableName(a));
    });

    it('reports status without creating tables, and modules without migrations report nothing pending', async () => {
      const journal: string[] = [];
      const [a, c] = [uniqueId('stat'), uniqueId('none')];
      const modules = [traceModule(a, ['0001', '0002'], journal), defineModule({ id: c, version: '1.0.0' })];
      expect(await migrationStatus(env.database, modules)).toEqual([
        { moduleId: a, applied: [], pending: ['0001', '0002'], missing: [] },
        { moduleId: c, applied: [], pending: [], missing: [] },
      ]);
      expect(await tableNames(env.database)).not.toContain(migrationsTableName(a));
      await runMigrations({ database: env.database, modules, owner: 'test' });
      expect(await migrationStatus(env.database, modules)).toEqual([
        { moduleId: a, applied: ['0001', '0002'], pending: [], missing: [] },
        { moduleId: c, applied: [], pending: [], missing: [] },
      ]);
    });

    it('gives migrations a context with the module prefix and the dialect', async () => {
      const id = uniqueId('ctx-mod');
      let seen: { table: string; dialect: string; moduleId: string } | undefined;
      const module = defineModule({
        id,
        version: '1.0.0',
        migrations: [
          {
            name: '0001',
            async up(ctx) {
              seen = { table: ctx.table('keys'), dialect: ctx.dialect, moduleId: ctx.moduleId };
              await ctx.createTable('keys').addColumn('id', 'varchar(26)', (c) => c.primaryKey()).execute();
              await ctx.db.insertInto(ctx.table('keys')).values({ id: 'k1' }).execute();
            },
          },
        ],
      });
      await runMigrations({ database: env.database, modules: [module], owner: 'test' });
      expect(seen).toEqual({ table: `${id.replaceAll('-', '_')}_keys`, dialect: backend.dialect, moduleId: id });
      const rows = await env.database.db.selectFrom(`${id.replaceAll('-', '_')}_keys`).selectAll().execute();
      expect(rows).toEqual([{ id: 'k1' }]);
    });
  });
}
