/**
 * The real `scaigrid` process: the quick start on embedded stores, the migrate mode, the
 * modules CLI, boot failure, and draining on SIGTERM.
 */
import { existsSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, runScaigrid, startServer, writeConfig, type ServerProcess } from '../support/server-process.js';

const HELLO = join(REPO_ROOT, 'examples/hello-module');
const SHOUT = join(REPO_ROOT, 'examples/hello-shout');
const SLOW = join(REPO_ROOT, 'test/kernel/fixtures/slow-module');

let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.stop('SIGKILL');
  server = undefined;
});

function sqliteTables(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("select name from sqlite_master where type = 'table' order by name").all().map((r: any) => r.name);
  } finally {
    db.close();
  }
}

describe('quick start', () => {
  it('serves /health, /ready and the printed admin key answers on model echo, with no servers', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'sg-fresh-'));
    server = await startServer({ cwd, env: { SCAIGRID_CONFIG: '' } });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    expect(existsSync(join(cwd, 'data/scaigrid.db'))).toBe(true);

    // The printed bootstrap admin key answers a chat completion on the mock model `echo`.
    const key = /bootstrap admin key \(shown once\): (sgk_\w+)/.exec(server.output())?.[1];
    expect(key).toBeDefined();
    const res = await fetch(`${server.url}/oai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'Hello ScaiGrid' }] }),
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0].message.content).toBe('Hello ScaiGrid');
    expect(body.usage.total_tokens).toBeGreaterThan(0);
  });
});

describe('migrate mode', () => {
  it('creates one migrations table per module with migrations; a second run applies nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-mig-'));
    const db = join(dir, 'gw.db');
    const config = writeConfig({ database: `sqlite:${db}`, modules: [HELLO, SHOUT, SLOW] }, dir);
    const first = await runScaigrid([], { SCAIGRID_MODE: 'migrate', SCAIGRID_CONFIG: config, SCAIGRID_LOG_LEVEL: 'silent' }, dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('applied hello: 0001_create_greetings');
    expect(sqliteTables(db)).toEqual(['hello_greetings', 'scaigrid_migration_lock', 'scaigrid_migrations_hello']);

    const second = await runScaigrid([], { SCAIGRID_MODE: 'migrate', SCAIGRID_CONFIG: config, SCAIGRID_LOG_LEVEL: 'silent' }, dir);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain('applied');
    expect(second.stdout).toContain('Nothing to migrate');
  });

  it('exits 1 naming the problem when boot fails, and migrates nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-bad-'));
    const db = join(dir, 'gw.db');
    const config = writeConfig({ database: `sqlite:${db}`, modules: [SHOUT] }, dir);
    const run = await runScaigrid([], { SCAIGRID_MODE: 'migrate', SCAIGRID_CONFIG: config, SCAIGRID_LOG_LEVEL: 'silent' }, dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("[MODULE_MISSING_DEPENDENCY] Module 'shout' depends on 'hello', which is not loaded (loaded: shout)");
    expect(existsSync(db)).toBe(false);
  });
});

describe('modules CLI', () => {
  it('prints the resolved order with mounts, permissions, tasks and migration status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-cli-'));
    const config = writeConfig({ database: `sqlite:${join(dir, 'gw.db')}`, modulePaths: [dirname(HELLO)] }, dir);
    const env = { SCAIGRID_CONFIG: config, SCAIGRID_LOG_LEVEL: 'silent' };
    const before = await runScaigrid(['modules'], env, dir);
    expect(before.stdout).toMatch(/migrations:\s+0 applied, 1 pending \(0001_create_greetings\)/);
    expect((await runScaigrid(['migrate'], env, dir)).code).toBe(0);
    const run = await runScaigrid(['modules'], env, dir);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const order = lines.filter((l) => /^\d+\. /.test(l)).map((l) => l.split(' ')[1]);
    expect(order).toEqual(['hello@1.0.0', 'shout@1.0.0']);
    expect(run.stdout).toContain('mounts:      /v1/modules/hello/');
    expect(run.stdout).toContain('permissions: hello:greet');
    expect(run.stdout).toContain('tasks:       count-greetings (every 10000 ms)');
    expect(run.stdout).toMatch(/migrations:\s+1 applied, 0 pending/);
  });
});

describe('drain on SIGTERM', () => {
  it('lets an in-flight request and stream finish while new requests get 503 DRAINING', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-drain-'));
    const config = writeConfig({ database: `sqlite:${join(dir, 'gw.db')}`, modules: [SLOW], server: { drainGraceMs: 10_000 } }, dir);
    server = await startServer({ cwd: dir, env: { SCAIGRID_CONFIG: config } });
    const slow = fetch(`${server.url}/v1/modules/slow/wait/1500`);
    const stream = fetch(`${server.url}/v1/modules/slow/stream`).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 300));
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));

    const refused = await fetch(`${server.url}/v1/modules/slow/quick`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    expect((await refused.json()).error.code).toBe('DRAINING');

    const done = await slow;
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ done: true });
    expect((await stream).trim().split('\n')).toHaveLength(8);
    expect(await server.exited).toBe(0);
  });
});

// MariaDB runs on development machines and in CI (.ci/run sets this); a plain `pnpm test`
// on a laptop without it still covers the same paths on SQLite above.
describe.runIf(Boolean(process.env.SCAIGRID_TEST_DATABASE_URL))('migrate mode on MariaDB', () => {
  it('migrates once, applies nothing the second time, and leaves a Galera-safe schema', async () => {
    const { assertGaleraSafe } = await import('../../packages/kernel/test/helpers/galera-check.js');
    const mysql = await import('mysql2/promise');
    const base = new URL(process.env.SCAIGRID_TEST_DATABASE_URL!);
    const name = `sgt_srv_${Date.now().toString(36)}`;
    base.pathname = `/${name}`;
    const dir = mkdtempSync(join(tmpdir(), 'sg-mig-my-'));
    const config = writeConfig({ database: base.toString(), modules: [HELLO, SHOUT] }, dir);
    const env = { SCAIGRID_MODE: 'migrate', SCAIGRID_CONFIG: config, SCAIGRID_LOG_LEVEL: 'silent' };
    try {
      const first = await runScaigrid([], env, dir);
      expect(first.code).toBe(0);
      expect(first.stdout).toContain('applied hello: 0001_create_greetings');
      const second = await runScaigrid([], env, dir);
      expect(second.stdout).toContain('Nothing to migrate');
      const report = await assertGaleraSafe(base.toString());
      expect(report.map((t) => t.table).sort()).toEqual(['hello_greetings', 'scaigrid_migration_lock', 'scaigrid_migrations_hello']);
    } finally {
      const conn = await mysql.createConnection({ host: base.hostname, port: Number(base.port || 3306), user: 'root' });
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    }
  });
});
