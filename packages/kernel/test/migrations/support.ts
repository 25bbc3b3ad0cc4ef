/**
 * @module test/migrations/support
 * Shared pieces of the migration suites: the backends to run on (sqlite always, MariaDB when
 * SCAIGRID_TEST_DATABASE_URL is set) and modules whose migrations leave a trace, so a test
 * can see exactly what ran and in what order.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { defineModule, type Module } from '../../src/module.js';
import type { Migration } from '../../src/migrations/types.js';
import type { Database } from '../../src/stores/types.js';
import { TEST_MYSQL_URL, createScratchMysqlDatabase, openTestDatabase, type ScratchMysqlDatabase } from '../helpers/test-database.js';

export interface Backend {
  dialect: 'sqlite' | 'mysql';
  /** MariaDB runs only where the environment points at a server (CI and dev machines do). */
  enabled: boolean;
}

export const BACKENDS: readonly Backend[] = [
  { dialect: 'sqlite', enabled: true },
  { dialect: 'mysql', enabled: Boolean(TEST_MYSQL_URL) },
];

export interface TestDatabaseHandle {
  readonly database: Database;
  /** The URL of the database (a scratch MariaDB database, or `sqlite::memory:`). */
  readonly url: string;
}

/**
 * Registers hooks giving each sqlite test a fresh in-memory database, and each MariaDB test
 * file one fresh scratch database (dropped afterwards); tests in a file then use unique
 * module ids so they cannot see each other's streams.
 */
export function useTestDatabase(dialect: Backend['dialect'], label: string): TestDatabaseHandle {
  let database: Database | undefined;
  let scratch: ScratchMysqlDatabase | undefined;
  if (dialect === 'mysql') {
    beforeAll(async () => {
      scratch = await createScratchMysqlDatabase(TEST_MYSQL_URL!, label);
      database = openTestDatabase(scratch.url);
    });
    afterAll(async () => {
      await database?.destroy();
      await scratch?.drop();
    });
  } else {
    beforeEach(() => {
      database = openTestDatabase('sqlite::memory:');
    });
    afterEach(async () => {
      await database?.destroy();
    });
  }
  return {
    get database() {
      if (!database) throw new Error('test database not open yet');
      return database;
    },
    get url() {
      return scratch?.url ?? 'sqlite::memory:';
    },
  };
}

/** `base` plus a short random suffix, a valid module id. */
export function uniqueId(base: string): string {
  return `${base}-${randomUUID().slice(0, 6)}`;
}

export interface TraceOptions {
  dependsOn?: string[];
  /** Migrations that throw `Error('boom in <name>')` after creating their table. */
  failing?: string[];
}

/**
 * A module whose migration `<name>` creates table `<prefix>_t<name>` (with a primary key, as
 * Galera requires) and appends `<id>:<name>` to `journal`.
 */
export function traceModule(id: string, names: string[], journal: string[], options: TraceOptions = {}): Module {
  const migrations: Migration[] = names.map((name) => ({
    name,
    async up(ctx) {
      journal.push(`${id}:${name}`);
      await ctx.createTable(`t${name}`).addColumn('id', 'varchar(36)', (c) => c.primaryKey()).execute();
      if (options.failing?.includes(name)) throw new Error(`boom in ${name}`);
    },
  }));
  return defineModule({ id, version: '1.0.0', dependsOn: options.dependsOn ?? [], migrations });
}

export async function tableNames(database: Database): Promise<string[]> {
  const tables = await database.db.introspection.getTables();
  return tables.map((t) => t.name).sort();
}
