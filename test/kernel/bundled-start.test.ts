/**
 * @module test/kernel/bundled-start
 * `pnpm start` runs packages/server/scripts/start.mjs, which builds (when stale) and runs the
 * esbuild bundle of the server and every workspace plugin. This proves the bundle is the same
 * gateway: the quick-start config boots, the plugins listed by package name are found in the
 * bundle, and a chat completion goes through the whole request path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { prepareTestStores } from '@scaigrid/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, startServer, type ServerProcess } from '../support/server-process.js';

const REDIS_URL = process.env.SCAIGRID_TEST_REDIS_URL;
const DATABASE_URL = process.env.SCAIGRID_TEST_DATABASE_URL;
const DIST = join(REPO_ROOT, 'packages/server/dist');

async function chat(url: string, key: string, content: string): Promise<Response> {
  return fetch(`${url}/oai/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content }] }),
  });
}

let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('bundled start (pnpm start)', () => {
  it('boots the quick start from the bundle and answers a chat completion', async () => {
    server = await startServer({ bundled: true, timeoutMs: 60_000, env: { SCAIGRID_REDIS_URL: 'memory://' } });
    const key = /(sgk_[A-Za-z0-9]{43})/.exec(server.output())?.[1];
    expect(key).toBeDefined();
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    const res = await chat(server.url, key!, 'bundled hello');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toContain('bundled hello');
  }, 90_000);

  // Third-party packages are bundled too (kysely, ioredis) while the drivers under them may not
  // be (mysql2): only real servers prove the bundled copies load and speak to them. The quick
  // start's migrations, seeds, limits and budgets write to both.
  it.runIf(Boolean(DATABASE_URL && REDIS_URL))('runs the bundle against a real MariaDB and Redis', async () => {
    const stores = await prepareTestStores({ real: true });
    const redis = new Redis(stores.redis);
    try {
      server = await startServer({ bundled: true, timeoutMs: 60_000, env: { SCAIGRID_DATABASE_URL: stores.database, SCAIGRID_REDIS_URL: stores.redis, SCAIGRID_REDIS_NAMESPACE: stores.redisNamespace } });
      const key = /(sgk_[A-Za-z0-9]{43})/.exec(server.output())?.[1];
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      expect((await chat(server.url, key!, 'over real stores')).status).toBe(200);
      expect((await redis.keys(`${stores.redisNamespace}:*`)).length).toBeGreaterThan(0);
      // The admin API reads what the bundle's kysely wrote into MariaDB (the bootstrap key).
      const keys = await fetch(`${server.url}/v1/admin/keys`, { headers: { authorization: `Bearer ${key}` } });
      expect(keys.status).toBe(200);
      expect(((await keys.json()) as { data: unknown[] }).data.length).toBeGreaterThan(0);
    } finally {
      await server?.stop();
      server = undefined;
      redis.disconnect();
      await stores.cleanup();
    }
  }, 90_000);

  it("keeps every bundled file ASCII, and Umzug's CLI framework out of it", async () => {
    server = await startServer({ bundled: true, timeoutMs: 60_000, env: { SCAIGRID_REDIS_URL: 'memory://' } });
    const files = readdirSync(DIST).filter((f) => f.endsWith('.mjs'));
    expect(files.length).toBeGreaterThan(1);
    for (const file of files) {
      const text = readFileSync(join(DIST, file));
      // V8 keeps each loaded file's source; one byte above 0x7f stores the whole file as UTF-16.
      expect(text.findIndex((byte) => byte > 0x7f), file).toBe(-1);
      // Its CLI (and the JSON-schema validator under it) is loaded from node_modules on first use only.
      expect(text.includes('ts-command-line'), file).toBe(false);
    }
  }, 90_000);
});

describe('bundled start with third-party TypeScript modules', () => {
  it('loads modules given as .ts sources by path (the examples) next to the bundle', async () => {
    const { join } = await import('node:path');
    const { REPO_ROOT } = await import('../support/server-process.js');
    server = await startServer({
      bundled: true,
      timeoutMs: 60_000,
      env: { SCAIGRID_CONFIG: join(REPO_ROOT, 'examples/scaigrid.examples.yaml'), SCAIGRID_DATABASE_URL: 'sqlite::memory:' },
    });
    const res = await fetch(`${server.url}/v1/modules/shout/ada`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'HELLO, ADA!' });
  }, 90_000);
});
