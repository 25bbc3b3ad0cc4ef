/**
 * The limit holds across gateway processes: two real `scaigrid` processes share MariaDB and
 * Redis, and of N+k rapid requests spread over both, exactly N pass; the rest get 429
 * RATE_LIMITED in OpenAI's shape with Retry-After.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { startServer, writeConfig, type ServerProcess } from '../../../test/support/server-process.js';

const DATABASE_URL = process.env.SCAIGRID_TEST_DATABASE_URL;
const REDIS_URL = process.env.SCAIGRID_TEST_REDIS_URL;

// Two processes can share limits only through a real Redis (memory:// lives in one process)
// and a shared database; CI sets both URLs.
it.runIf(Boolean(DATABASE_URL && REDIS_URL))('exactly N of N+k requests pass across two processes', async () => {
  const LIMIT = 5;
  const EXTRA = 5;
  const namespace = `rl2p${Date.now().toString(36)}`;
  const dbName = `sgt_rl2p_${randomBytes(3).toString('hex')}`;
  const db = new URL(DATABASE_URL!);
  db.pathname = `/${dbName}`;
  const key = `sgk_${randomBytes(32).toString('base64url')}`;
  const dir = mkdtempSync(join(tmpdir(), 'sg-rl2p-'));
  const config = writeConfig(
    {
      database: db.toString(),
      redis: REDIS_URL,
      redisNamespace: namespace,
      modules: ['@scaigrid/plugin-auth', '@scaigrid/plugin-routing', '@scaigrid/plugin-dispatch', '@scaigrid/plugin-inference', '@scaigrid/plugin-dispatch-mock', '@scaigrid/plugin-ratelimit'],
      config: {
        auth: { bootstrap: { enabled: false }, seed: { tenants: [{ slug: 'acme' }], keys: [{ name: 'app', tenant: 'acme', roles: ['member'], secretEnv: 'RL2P_KEY' }] } },
        dispatch: { providers: [{ id: 'mock', kind: 'mock' }] },
        routing: { models: [{ slug: 'echo', backends: [{ providerId: 'mock', upstreamModel: 'echo' }] }] },
        ratelimit: { limits: [{ scope: 'key', requestsPerMinute: LIMIT }] },
      },
    },
    dir,
  );
  // Package names resolve from the repository root, where the workspace links the plugins.
  const env = { SCAIGRID_CONFIG: config, RL2P_KEY: key };
  const servers: ServerProcess[] = [];
  try {
    servers.push(await startServer({ env, cwd: process.cwd(), timeoutMs: 60_000 }));
    servers.push(await startServer({ env, cwd: process.cwd(), timeoutMs: 60_000 }));
    const responses = await Promise.all(
      Array.from({ length: LIMIT + EXTRA }, (_, i) =>
        fetch(`${servers[i % 2]!.url}/oai/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: `hello ${i}` }] }),
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(EXTRA);
    const refused = responses.find((r) => r.status === 429)!;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('x-ratelimit-limit')).toBe(String(LIMIT));
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBeTruthy();
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    const redis = new Redis(REDIS_URL!);
    const keys = await redis.keys(`${namespace}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection({ host: db.hostname, port: Number(db.port || 3306), user: 'root' });
    await conn.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await conn.end();
  }
}, 120_000);
