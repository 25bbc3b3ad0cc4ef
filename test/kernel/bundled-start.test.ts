/**
 * @module test/kernel/bundled-start
 * `pnpm start` runs packages/server/scripts/start.mjs, which builds (when stale) and runs the
 * esbuild bundle of the server and every workspace plugin. This proves the bundle is the same
 * gateway: the quick-start config boots, the plugins listed by package name are found in the
 * bundle, and a chat completion goes through the whole request path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/server-process.js';

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
    const res = await fetch(`${server.url}/oai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: 'bundled hello' }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toContain('bundled hello');
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
