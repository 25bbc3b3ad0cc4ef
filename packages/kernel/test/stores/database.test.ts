import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from '../../src/stores/database.js';
import { redactUrl } from '../../src/stores/redact-url.js';

// Exercises a dialect end to end: DDL, insert, select, utf8mb4 text, ping, destroy.
async function roundTrip(url: string) {
  const database = await openDatabase(url);
  const table = `t_${Date.now()}_${Math.random().toString(36).slice(2, 8)}`;
  try {
    await database.ping();
    await database.db.schema.createTable(table).addColumn('id', 'varchar(26)', (c) => c.primaryKey()).addColumn('name', 'text').execute();
    await database.db.insertInto(table).values({ id: 'a', name: 'héllo 🚀' }).execute();
    const rows = await database.db.selectFrom(table).selectAll().execute();
    expect(rows).toEqual([{ id: 'a', name: 'héllo 🚀' }]);
  } finally {
    await database.db.schema.dropTable(table).ifExists().execute();
    await database.destroy();
  }
  return database;
}

describe('openDatabase (sqlite, embedded)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-db-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens sqlite::memory:', async () => {
    const database = await roundTrip('sqlite::memory:');
    expect(database.dialect).toBe('sqlite');
  });

  it('creates the parent directory of a file database and uses WAL', async () => {
    const file = join(dir, 'nested', 'deeper', 'test.db');
    const database = await openDatabase(`sqlite:${file}`);
    const { rows } = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(database.db);
    expect(rows[0].journal_mode).toBe('wal');
    const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(database.db);
    expect(fk.rows[0].foreign_keys).toBe(1);
    await database.destroy();
    expect(existsSync(file)).toBe(true);
    await roundTrip(`sqlite:${file}`);
  });

  it('rejects an unknown scheme, naming it and the accepted ones, without the password', async () => {
    const error = await openDatabase('postgres://admin:hunter2@db:5432/x').catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain("'postgres'");
    expect((error as Error).message).toContain('mysql://');
    expect((error as Error).message).toContain('sqlite:');
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('reports an unreachable mysql server without the password', async () => {
    // Port 1 on loopback refuses connections at once: no server is needed to test the failure path.
    const error = await openDatabase('mysql://root:s3cret@127.0.0.1:1/nowhere').catch((e: Error) => e);
    expect((error as Error).message).toMatch(/Cannot open database 'mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\/nowhere'/);
    expect((error as Error).message).not.toContain('s3cret');
  });
});

describe('redactUrl', () => {
  it('hides passwords and secret query parameters', () => {
    expect(redactUrl('mysql://root:p@ss@db:3306/x')).toBe('mysql://root:***@db:3306/x');
    expect(redactUrl('s3://b?accessKeyId=AK&secretAccessKey=SK&region=r')).toBe('s3://b?accessKeyId=AK&secretAccessKey=***&region=r');
    expect(redactUrl('redis://127.0.0.1:6379/0')).toBe('redis://127.0.0.1:6379/0');
  });
});

// Runs only where a MariaDB/MySQL server is provided (CI and dev machines set the variable; see DEVELOPERS.md).
const mysqlUrl = process.env.SCAIGRID_TEST_DATABASE_URL;
describe.runIf(mysqlUrl?.startsWith('mysql:'))('openDatabase (mysql, real server)', () => {
  it('opens the configured database and round-trips utf8mb4 text', async () => {
    const database = await roundTrip(mysqlUrl!);
    expect(database.dialect).toBe('mysql');
  });

  it('creates the database when it does not exist', async () => {
    const url = new URL(mysqlUrl!);
    const name = `sg_create_${Date.now()}_${Math.random().toString(36).slice(2, 6)}`;
    url.pathname = `/${name}`;
    const database = await openDatabase(url.toString());
    try {
      const { rows } = await sql<{ db: string }>`select database() as db`.execute(database.db);
      expect(rows[0].db).toBe(name);
      await sql`drop database ${sql.id(name)}`.execute(database.db);
    } finally {
      await database.destroy();
    }
  });
});
