/**
 * @module test/helpers/test-database
 * Opens a `Database` for tests without depending on `stores/database.ts`, and gives each
 * MariaDB test file its own freshly created database, so that files running in parallel
 * (and other engineers' suites on the same server) never see each other's tables.
 */
import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, MysqlDialect, SqliteDialect, sql } from 'kysely';
import { createPool } from 'mysql2';
import { createConnection as createPromiseConnection } from 'mysql2/promise';
import type { Database } from '../../src/stores/types.js';

/** The MariaDB server to test against, when the environment provides one. */
export const TEST_MYSQL_URL = process.env.SCAIGRID_TEST_DATABASE_URL;

/** `sqlite::memory:`, `sqlite:<path>` or `mysql://…` → a Database like the kernel's. */
export function openTestDatabase(url: string): Database {
  if (url.startsWith('mysql:')) {
    const db = new Kysely<any>({ dialect: new MysqlDialect({ pool: createPool({ uri: url, connectionLimit: 4 }) }) });
    return databaseOf(url, 'mysql', db);
  }
  const path = url.replace(/^sqlite:/, '');
  const file = new BetterSqlite3(path === ':memory:' ? ':memory:' : path, { timeout: 10_000 });
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: file }) });
  return databaseOf(url, 'sqlite', db);
}

function databaseOf(url: string, dialect: Database['dialect'], db: Kysely<any>): Database {
  return {
    url,
    dialect,
    db,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async destroy() {
      await db.destroy();
    },
  };
}

export interface ScratchMysqlDatabase {
  /** URL of the new, empty database. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates `scaigrid_t_<label>_<random>` on the server of `baseUrl`; `drop()` removes it. */
export async function createScratchMysqlDatabase(baseUrl: string, label: string): Promise<ScratchMysqlDatabase> {
  const name = `scaigrid_t_${label.replace(/[^a-z0-9]/gi, '_')}_${randomUUID().slice(0, 8)}`.toLowerCase();
  const server = new URL(baseUrl);
  server.pathname = '/';
  const admin = async (statement: string) => {
    const conn = await createPromiseConnection({ uri: server.toString() });
    try {
      await conn.query(statement);
    } finally {
      await conn.end();
    }
  };
  await admin(`create database \`${name}\``);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => admin(`drop database if exists \`${name}\``) };
}
