import { describe, expect, it } from 'vitest';
import {
  MIGRATION_LOCK_TABLE,
  MigrationLockError,
  acquireMigrationLock,
  runMigrations,
} from '../../src/migrations/index.js';
import { ensureMigrationLockTable } from '../../src/migrations/migration-lock.js';
import { BACKENDS, traceModule, uniqueId, useTestDatabase } from './support.js';

for (const backend of BACKENDS) {
  // MariaDB only where SCAIGRID_TEST_DATABASE_URL points at a server; sqlite always.
  describe.runIf(backend.enabled)(`migration lock on ${backend.dialect}`, () => {
    const env = useTestDatabase(backend.dialect, 'lock');

    const plantLock = async (owner: string, expiresInMs: number) => {
      await ensureMigrationLockTable(env.database);
      const now = Date.now();
      await env.database.db
        .insertInto(MIGRATION_LOCK_TABLE)
        .values({ id: 'migrate', owner, acquired_at: now - 60_000, expires_at: now + expiresInMs })
        .execute();
    };
    const lockRows = () => env.database.db.selectFrom(MIGRATION_LOCK_TABLE).selectAll().execute();

    it('takes over a lock left expired by a dead instance', async () => {
      await plantLock('dead', -1_000);
      const journal: string[] = [];
      const a = uniqueId('heir');
      const { applied } = await runMigrations({
        database: env.database,
        modules: [traceModule(a, ['0001'], journal)],
        owner: 'heir',
        lockTimeoutMs: 2_000,
      });
      expect(applied).toEqual([{ moduleId: a, migration: '0001' }]);
      expect(await lockRows()).toEqual([]);
    });

    it('waits for a lock to expire, then proceeds', async () => {
      await plantLock('dead', 700);
      const journal: string[] = [];
      const started = Date.now();
      await runMigrations({
        database: env.database,
        modules: [traceModule(uniqueId('wait'), ['0001'], journal)],
        owner: 'waiter',
        lockTimeoutMs: 10_000,
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
      expect(journal).toHaveLength(1);
    });

    it('times out on a live lock, naming its owner, and runs nothing', async () => {
      await plantLock('other-instance:42', 60_000);
      const journal: string[] = [];
      try {
        const err = await runMigrations({
          database: env.database,
          modules: [traceModule(uniqueId('blocked'), ['0001'], journal)],
          owner: 'me',
          lockTimeoutMs: 300,
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MigrationLockError);
        expect((err as MigrationLockError).code).toBe('MIGRATION_LOCK_TIMEOUT');
        expect((err as MigrationLockError).holder).toBe('other-instance:42');
        expect((err as Error).message).toContain(`held by 'other-instance:42'`);
        expect(journal).toEqual([]);
      } finally {
        await env.database.db.deleteFrom(MIGRATION_LOCK_TABLE).execute();
      }
    });

    it('renews the lock while held, so others keep waiting past the TTL', async () => {
      const lock = await acquireMigrationLock(env.database, { owner: 'holder', ttlMs: 300 });
      try {
        await new Promise((r) => setTimeout(r, 900));
        const [row] = await lockRows();
        expect(row.owner).toBe(lock.owner);
        expect(Number(row.expires_at)).toBeGreaterThan(Date.now());
        await expect(acquireMigrationLock(env.database, { owner: 'second', timeoutMs: 200 })).rejects.toThrow(
          /MIGRATION_LOCK_TIMEOUT.*holder#/,
        );
        expect(lock.lost).toBe(false);
      } finally {
        await lock.release();
      }
      expect(await lockRows()).toEqual([]);
    });

    it('notices when its lock was taken over and refuses to go on', async () => {
      const lock = await acquireMigrationLock(env.database, { owner: 'slow', ttlMs: 150 });
      try {
        await env.database.db.updateTable(MIGRATION_LOCK_TABLE).set({ owner: 'thief' }).execute();
        await new Promise((r) => setTimeout(r, 400));
        expect(lock.lost).toBe(true);
        expect(() => lock.assertHeld()).toThrow(/MIGRATION_LOCK_LOST/);
      } finally {
        await lock.release();
        // Release deletes only our own row: the thief's lock stays.
        expect((await lockRows()).map((r) => r.owner)).toEqual(['thief']);
        await env.database.db.deleteFrom(MIGRATION_LOCK_TABLE).execute();
      }
    });
  });
}
