import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATION_LOCK_TABLE, runMigrations, type AppliedMigration } from '../../src/migrations/index.js';
import { openTestDatabase } from '../helpers/test-database.js';
import { BACKENDS, traceModule, useTestDatabase } from './support.js';

const CHILD = fileURLToPath(new URL('./fixtures/migrate-child.ts', import.meta.url));
// The workspace root, where `tsx` is installed, so `--import tsx` resolves.
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function startChild(env: Record<string, string>): { child: ChildProcess; done: Promise<ChildResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: ROOT, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<ChildResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

const tmp = mkdtempSync(join(tmpdir(), 'scaigrid-migrate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

for (const backend of BACKENDS) {
  // MariaDB only where SCAIGRID_TEST_DATABASE_URL points at a server; sqlite (a shared file,
  // since two processes cannot share an in-memory database) always.
  describe.runIf(backend.enabled)(`two instances migrating at once on ${backend.dialect}`, () => {
    const mysql = backend.dialect === 'mysql' ? useTestDatabase('mysql', 'procs') : undefined;
    const urlFor = (name: string) => mysql?.url ?? `sqlite:${join(tmp, `${name}.db`)}`;

    it('applies each migration exactly once and both exit 0', { timeout: 90_000 }, async () => {
      const url = urlFor('concurrent');
      const [one, two] = [startChild({ DATABASE_URL: url }), startChild({ DATABASE_URL: url })];
      const results = await Promise.all([one.done, two.done]);
      for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });

      const applied = results.flatMap((r) => (JSON.parse(r.stdout) as { applied: AppliedMigration[] }).applied);
      expect(applied.map((a) => `${a.moduleId}:${a.migration}`).sort()).toEqual([
        'alpha:0001',
        'alpha:0002',
        'alpha:0003',
        'beta:0001',
        'beta:0002',
      ]);
      const database = openTestDatabase(url);
      try {
        const hits = await database.db.selectFrom('alpha_hits').select('migration').execute();
        expect(hits.map((h) => h.migration).sort()).toEqual(['alpha:0001', 'alpha:0002', 'alpha:0003', 'beta:0001', 'beta:0002']);
        expect(await database.db.selectFrom(MIGRATION_LOCK_TABLE).selectAll().execute()).toEqual([]);
      } finally {
        await database.destroy();
      }
    });

    it('a lock held by a killed instance expires and the next run proceeds', { timeout: 90_000 }, async () => {
      const url = urlFor('killed');
      const { child, done } = startChild({ DATABASE_URL: url, SCENARIO: 'hang', LOCK_TTL_MS: '1500' });
      const database = openTestDatabase(url);
      try {
        // Wait until the child holds the lock, then kill it without any chance to release.
        const deadline = Date.now() + 30_000;
        for (;;) {
          const rows = await database.db
            .selectFrom(MIGRATION_LOCK_TABLE)
            .selectAll()
            .execute()
            .catch(() => []);
          if (rows.length > 0) {
            expect(rows[0].owner).toMatch(/^child:\d+#/);
            break;
          }
          if (Date.now() > deadline) throw new Error(`child never took the lock: ${(await Promise.race([done, Promise.resolve(null)]))?.stderr}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        child.kill('SIGKILL');
        expect((await done).signal).toBe('SIGKILL');

        const journal: string[] = [];
        const started = Date.now();
        const { applied } = await runMigrations({
          database,
          modules: [traceModule('after-kill', ['0001'], journal)],
          owner: 'survivor',
          lockTimeoutMs: 15_000,
        });
        expect(applied).toEqual([{ moduleId: 'after-kill', migration: '0001' }]);
        // It had to wait for the dead holder's expiry (at most its TTL), not the full timeout.
        expect(Date.now() - started).toBeLessThan(10_000);
      } finally {
        await database.destroy();
      }
    });
  });
}
