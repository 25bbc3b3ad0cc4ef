/**
 * @module helpers
 * Shared bits of the routing tests: a database two kernels can share (a temp SQLite file, or
 * a fresh MariaDB database in the real-store run), row and query counting.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModuleContext } from '@scaigrid/kernel';
import { prepareTestStores } from '@scaigrid/testing';

export interface SharedDatabase {
  /** A database URL several kernels can open: a temp SQLite file, or a fresh MariaDB database in the real-store run. */
  database: string;
  cleanup(): Promise<void>;
}

export async function sharedDatabase(): Promise<SharedDatabase> {
  if (process.env.SCAIGRID_TEST_DATABASE_URL) {
    const stores = await prepareTestStores({ real: true });
    return { database: stores.database, cleanup: () => stores.cleanup() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'scaigrid-routing-'));
  return { database: `sqlite:${join(dir, 'test.db')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

export async function countRows(ctx: ModuleContext, table: string): Promise<number> {
  const row = await ctx.db.selectFrom(ctx.table(table)).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Counts every query Kysely executes on the shared instance while `fn` runs. */
export async function countQueries(ctx: ModuleContext, fn: () => unknown): Promise<number> {
  const executor = ctx.db.getExecutor();
  const original = executor.executeQuery.bind(executor);
  let count = 0;
  (executor as { executeQuery: unknown }).executeQuery = (...args: Parameters<typeof original>) => {
    count++;
    return original(...args);
  };
  try {
    await fn();
  } finally {
    (executor as { executeQuery: unknown }).executeQuery = original;
  }
  return count;
}

export async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
