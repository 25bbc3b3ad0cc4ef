/**
 * @module stores/database
 * Opens the one Kysely instance every module shares, chosen by URL (DESIGN.md §4):
 * `sqlite:./data/scaigrid.db` or `sqlite::memory:` (better-sqlite3, embedded, the default) and
 * `mysql://user:pass@host:3306/db` (mysql2 pool, MariaDB/Galera in production). The MySQL
 * database is created when missing so a fresh server needs no manual step.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, MysqlDialect, SqliteDialect, sql } from 'kysely';
import type { Database } from './types.js';
import { redactUrl, urlScheme } from './redact-url.js';

const ACCEPTED = 'sqlite:./path/file.db, sqlite::memory:, mysql://user:pass@host:port/db';

/**
 * Opens the database named by `url`; rejects with a message naming the (redacted) URL when it
 * is malformed or unreachable.
 * @example const database = await openDatabase('sqlite::memory:'); await database.ping();
 */
export async function openDatabase(url: string): Promise<Database> {
  const scheme = urlScheme(url);
  if (scheme === 'sqlite') return openSqlite(url);
  if (scheme === 'mysql') return openMysql(url);
  throw new Error(`Unsupported database URL scheme '${scheme}' in '${redactUrl(url)}'. Use one of: ${ACCEPTED}.`);
}

function openSqlite(url: string): Database {
  // `sqlite:///abs/file.db` and `sqlite://./rel.db` are common spellings of the same thing.
  const rest = url.slice('sqlite:'.length).replace(/^\/\/(?=[./])/, '');
  if (rest === '') throw new Error(`Database URL '${url}' names no file. Use ${ACCEPTED}.`);
  const memory = rest === ':memory:';
  const file = memory ? ':memory:' : resolve(rest);
  if (!memory) mkdirSync(dirname(file), { recursive: true });
  const connection = new BetterSqlite3(file);
  if (!memory) {
    // busy_timeout makes a second process wait instead of failing. WAL lets readers run while a
    // writer commits.
    connection.pragma('busy_timeout = 5000');
    switchToWal(connection);
  }
  // InnoDB enforces foreign keys; so must the embedded database, or a bug passes tests and fails in production.
  connection.pragma('foreign_keys = ON');
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: connection }) });
  return handle(url, 'sqlite', db);
}

/**
 * Switching a new file to WAL needs it to itself, and SQLite answers "database is locked" at
 * once, without the busy handler, when another connection is doing the same: two instances
 * booting on one quick-start file (workers sharing a config) had the loser fail to start.
 * So the switch is retried for as long as busy_timeout would have waited.
 */
function switchToWal(connection: BetterSqlite3.Database, waitMs = 5_000): void {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      connection.pragma('journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
      // Boot-time only, and the connection is synchronous anyway: a blocking pause is fine here.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.random() * 20);
    }
  }
}

async function openMysql(url: string): Promise<Database> {
  const safe = redactUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`Database URL '${safe}' is not a valid URL. Expected mysql://user:pass@host:port/db.`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(database)) {
    throw new Error(`Database URL '${safe}' must name a database (letters, digits, _ $ -), as in mysql://user:pass@host:3306/scaigrid.`);
  }
  const connection = {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    charset: 'UTF8MB4_UNICODE_CI',
    // Dates are stored and read as UTC so that instances in different time zones agree.
    timezone: 'Z',
    ...(parsed.searchParams.get('ssl') === 'true' ? { ssl: {} } : {}),
  };

  // mysql2 is loaded only for MariaDB URLs, keeping the embedded quick start's boot short.
  const [{ createPool }, { createConnection }] = await Promise.all([import('mysql2'), import('mysql2/promise')]);
  // Connect without the database first: it may not exist yet on a fresh server.
  try {
    const admin = await createConnection(connection);
    try {
      await admin.query(
        `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      );
    } finally {
      await admin.end();
    }
  } catch (err) {
    throw new Error(`Cannot open database '${safe}': ${(err as Error).message}. Check that the server is up and the user may create the database.`, { cause: err });
  }

  const pool = createPool({
    ...connection,
    database,
    connectionLimit: Number(parsed.searchParams.get('connectionLimit') ?? 10),
    enableKeepAlive: true,
  });
  const db = new Kysely<any>({ dialect: new MysqlDialect({ pool }) });
  return handle(url, 'mysql', db);
}

function handle(url: string, dialect: Database['dialect'], db: Kysely<any>): Database {
  return Object.freeze({
    url,
    dialect,
    db,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async destroy() {
      await db.destroy();
    },
  });
}
