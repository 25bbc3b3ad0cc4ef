/**
 * Every boot problem is reported with its stable code and a message naming the module and
 * the fix, all in one error, and nothing is migrated when boot fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BootError, defineModule, Kernel, type Module } from '../../src/index.js';

const migrating = (id: string, extra: Partial<Parameters<typeof defineModule>[0]> = {}) =>
  defineModule({
    id,
    version: '1.0.0',
    migrations: [{ name: '0001_init', up: async ({ createTable }) => void (await createTable('t').addColumn('id', 'varchar(26)', (c) => c.primaryKey()).execute()) }],
    ...extra,
  });

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

async function bootError(modules: Module[], config: Record<string, unknown> = {}): Promise<{ error: BootError; tables: string[] }> {
  dir = mkdtempSync(join(tmpdir(), 'sg-boot-'));
  const file = join(dir, 'db.sqlite');
  let error: unknown;
  try {
    await Kernel.create({ modules, config: { database: `sqlite:${file}`, logLevel: 'silent', config } });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(BootError);
  const db = new Database(file);
  const tables = db.prepare("select name from sqlite_master where type = 'table'").all().map((r: any) => r.name);
  db.close();
  return { error: error as BootError, tables };
}

describe('boot errors', () => {
  it('MODULE_CYCLE prints the cycle path', async () => {
    const { error, tables } = await bootError([
      migrating('aa', { dependsOn: ['bb'] }),
      migrating('bb', { dependsOn: ['cc'] }),
      migrating('cc', { dependsOn: ['aa'] }),
    ]);
    expect(error.message).toContain('[MODULE_CYCLE]');
    expect(error.message).toContain('aa -> bb -> cc -> aa');
    expect(tables).toEqual([]);
  });

  it('MODULE_MISSING_DEPENDENCY names who needs what and what is loaded', async () => {
    const { error, tables } = await bootError([migrating('billing', { dependsOn: ['accounts'] }), migrating('audit')]);
    expect(error.message).toContain(
      "[MODULE_MISSING_DEPENDENCY] Module 'billing' depends on 'accounts', which is not loaded (loaded: audit, billing)",
    );
    expect(tables).toEqual([]);
  });

  it('an optional dependency that is missing is fine', async () => {
    const kernel = await Kernel.create({ modules: [migrating('billing', { optionalDependsOn: ['accounts'] })], config: { database: 'sqlite::memory:', logLevel: 'silent' } });
    expect(kernel.moduleIds).toEqual(['billing']);
  });

  it('MODULE_DUPLICATE_ID names both sources', async () => {
    const { error } = await bootError([
      { module: migrating('hello'), source: '@acme/hello' } as never,
      { module: migrating('hello'), source: './local/hello' } as never,
    ]);
    expect(error.message).toContain("[MODULE_DUPLICATE_ID] Module id 'hello' is declared twice: by @acme/hello and by ./local/hello");
  });

  it('MODULE_INVALID_ID', async () => {
    const { error } = await bootError([migrating('Bad_Id')]);
    expect(error.message).toContain("[MODULE_INVALID_ID] Module id 'Bad_Id'");
  });

  it('MODULE_KERNEL_MISMATCH', async () => {
    const { error } = await bootError([migrating('future', { kernel: '^9.0.0' })]);
    expect(error.message).toMatch(/\[MODULE_KERNEL_MISMATCH\] Module 'future' .* needs kernel \^9\.0\.0, but this kernel is 0\.1\.0/);
  });

  it('MODULE_CONFIG_INVALID names the module and the field path', async () => {
    const mod = migrating('hello', { config: z.object({ greeting: z.string(), limits: z.object({ perMinute: z.number().int() }) }) });
    const { error, tables } = await bootError([mod], { hello: { greeting: 'hi', limits: { perMinute: 'lots' } } });
    expect(error.message).toContain("[MODULE_CONFIG_INVALID] Module 'hello' config is invalid at config.hello.limits.perMinute");
    expect(tables).toEqual([]);
  });

  it('collects every problem into one error', async () => {
    const { error } = await bootError([migrating('x1', { dependsOn: ['nope'] }), migrating('BAD'), migrating('y1', { kernel: '>=5' })]);
    expect(error.problems.map((p) => p.code).sort()).toEqual(['MODULE_INVALID_ID', 'MODULE_KERNEL_MISMATCH', 'MODULE_MISSING_DEPENDENCY']);
  });

  it('orders modules topologically, ties broken by id', async () => {
    const kernel = await Kernel.create({
      modules: [migrating('zeta'), migrating('beta', { dependsOn: ['zeta'] }), migrating('alpha'), migrating('gamma', { optionalDependsOn: ['beta'] })],
      config: { database: 'sqlite::memory:', logLevel: 'silent' },
    });
    expect(kernel.moduleIds).toEqual(['alpha', 'zeta', 'beta', 'gamma']);
  });
});
