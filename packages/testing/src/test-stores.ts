/**
 * @module test-stores
 * Store URLs for a test kernel: embedded by default (a private in-memory SQLite and memory
 * redis), or the real servers named by SCAIGRID_TEST_DATABASE_URL / SCAIGRID_TEST_REDIS_URL,
 * each test kernel then getting its own MariaDB database and redis namespace so suites can
 * run in parallel and leave nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestStores {
  database: string;
  redis: string;
  blobs: string;
  redisNamespace: string;
  /** Drops what was created for this kernel. */
  cleanup(): Promise<void>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export interface TestStoreOptions {
  database?: string;
  redis?: string;
  blobs?: string;
  /** Reuse a redis namespace (e.g. a second gateway sharing another test kernel's stores); not deleted on stop. */
  redisNamespace?: string;
  /** Use the real servers from SCAIGRID_TEST_* env (default: when those are set). */
  real?: boolean;
}

export async function prepareTestStores(options: TestStoreOptions = {}): Promise<TestStores> {
  const env = process.env;
  const useReal = options.real ?? Boolean(env.SCAIGRID_TEST_DATABASE_URL || env.SCAIGRID_TEST_REDIS_URL);
  const cleanups: (() => Promise<void>)[] = [];
  const namespace = options.redisNamespace ?? uniqueName('t');

  let database = options.database;
  if (!database && useReal && env.SCAIGRID_TEST_DATABASE_URL) {
    const base = new URL(env.SCAIGRID_TEST_DATABASE_URL);
    const name = uniqueName('sgt_');
    base.pathname = `/${name}`;
    database = base.toString();
    cleanups.push(() => dropMysqlDatabase(env.SCAIGRID_TEST_DATABASE_URL!, name));
  }
  database ??= 'sqlite::memory:';

  let redis = options.redis;
  if (!redis && useReal && env.SCAIGRID_TEST_REDIS_URL) {
    redis = env.SCAIGRID_TEST_REDIS_URL;
    if (!options.redisNamespace) cleanups.push(() => deleteRedisNamespace(env.SCAIGRID_TEST_REDIS_URL!, namespace));
  }
  redis ??= 'memory://';

  let blobs = options.blobs;
  if (!blobs) {
    const dir = mkdtempSync(join(tmpdir(), 'scaigrid-blobs-'));
    blobs = `file:${dir}`;
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  }

  return {
    database,
    redis,
    blobs,
    redisNamespace: namespace,
    async cleanup() {
      for (const fn of cleanups) await fn().catch(() => undefined);
    },
  };
}

async function dropMysqlDatabase(url: string, name: string): Promise<void> {
  const mysql = await import('mysql2/promise');
  const u = new URL(url);
  const conn = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password) });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await conn.end();
  }
}

async function deleteRedisNamespace(url: string, namespace: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
