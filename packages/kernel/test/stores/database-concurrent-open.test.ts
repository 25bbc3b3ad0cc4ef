/**
 * Several instances booting at once on one embedded database file (worker processes sharing a
 * quick-start config) must all open it: the one that loses the race to switch a new file to
 * WAL waits for the lock instead of failing with "database is locked".
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const DATABASE_MODULE = pathToFileURL(fileURLToPath(new URL('../../src/stores/database.ts', import.meta.url))).href;

/** A process that opens `url` when told to on stdin, pings it, and exits 0, or prints why not and exits 1. */
const OPENER = `
import { openDatabase } from ${JSON.stringify(DATABASE_MODULE)};
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  try {
    const database = await openDatabase(process.argv[1]);
    await database.ping();
    await database.destroy();
    process.exit(0);
  } catch (err) {
    process.stderr.write(String(err && err.stack));
    process.exit(1);
  }
});
`;

function opener(url: string) {
  const child = spawn(process.execPath, ['--import', TSX, '--input-type=module', '-e', OPENER, url], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const ready = new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
  return { ready, exited, go: () => child.stdin.end('go\n') };
}

it('opens one new sqlite file from several processes at the same moment', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-db-race-'));
  try {
    for (let round = 0; round < 3; round++) {
      const url = `sqlite:${join(dir, `race-${round}.db`)}`;
      const openers = Array.from({ length: 4 }, () => opener(url));
      await Promise.all(openers.map((o) => o.ready));
      for (const o of openers) o.go();
      expect(await Promise.all(openers.map((o) => o.exited))).toEqual(openers.map(() => ({ code: 0, stderr: '' })));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
