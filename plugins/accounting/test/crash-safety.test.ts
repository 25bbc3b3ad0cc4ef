/**
 * Crash safety through real processes on MariaDB + Redis: kill -9 of the http server during a
 * streaming load, and of the worker during a flush. After restarts and a flush, the usage rows
 * are exactly the completed requests (the client received the whole stream): no duplicates,
 * no losses. The http server does not flush (on a real Redis tasks run only in workers).
 */
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import { prepareTestStores, type TestStores } from '@scaigrid/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT, startServer, writeConfig, type ServerProcess } from '../../../test/support/server-process.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/fakes/fake-openai.js';
import { USAGE_BATCHES_KEY, USAGE_PENDING_KEY } from '../src/index.js';

// Needs stores outside the process: with memory:// the data dies with the killed process.
const REAL = Boolean(process.env.SCAIGRID_TEST_DATABASE_URL && process.env.SCAIGRID_TEST_REDIS_URL);
const KEY = 'sgk_accountingCrashTestKey000000000000000000';
const TEXT = Array.from({ length: 16 }, (_, i) => `w${i}`).join(' ');

let stores: TestStores;
let upstream: FakeOpenAI;
let configFile: string;
let redis: Redis;
const processes: ServerProcess[] = [];

beforeAll(async () => {
  if (!REAL) return;
  stores = await prepareTestStores({ real: true });
  upstream = await startFakeOpenAI({ defaultReply: { text: TEXT, chunkDelayMs: 15 } });
  const plugin = (name: string) => join(REPO_ROOT, 'plugins', name);
  configFile = writeConfig(
    {
      database: stores.database,
      redis: stores.redis,
      redisNamespace: stores.redisNamespace,
      modules: ['auth', 'routing', 'dispatch', 'dispatch-openai', 'inference', 'accounting'].map(plugin),
      config: {
        auth: { bootstrap: { enabled: false }, seed: { tenants: [{ slug: 'acme' }], keys: [{ name: 'load', tenant: 'acme', roles: ['member'], secretEnv: 'ACCOUNTING_CRASH_KEY' }] } },
        dispatch: { providers: [{ id: 'fake', kind: 'openai', baseUrl: upstream.url, timeoutMs: 10_000 }] },
        routing: { models: [{ slug: 'chat-model', backends: [{ providerId: 'fake', upstreamModel: 'gpt-4o-mini', inputPricePerMillion: '1', outputPricePerMillion: '2' }] }] },
        // One small batch per tick, so that a flush of the whole backlog spans many ticks.
        accounting: { budgets: [{ scope: 'tenant', subject: 'acme', period: 'monthly', amount: '100' }], flush: { everyMs: 200, batchSize: 4, maxBatchesPerTick: 1, staleBatchSeconds: 1 } },
      },
    },
    mkdtempSync(join(tmpdir(), 'sg-acc-crash-')),
  );
  redis = new Redis(stores.redis, { keyPrefix: `${stores.redisNamespace}:accounting:` });
}, 60_000);

afterAll(async () => {
  if (!REAL) return;
  for (const p of processes) if (p.child.exitCode === null) await p.stop('SIGKILL');
  redis?.disconnect();
  await upstream?.close();
  await stores?.cleanup();
});

function start(mode: 'http' | 'worker'): Promise<ServerProcess> {
  const env = { SCAIGRID_CONFIG: configFile, ACCOUNTING_CRASH_KEY: KEY, SCAIGRID_LOG_LEVEL: mode === 'worker' ? 'warn' : 'info', SCAIGRID_MODE: mode };
  if (mode === 'http') return startServer({ env, timeoutMs: 60_000 }).then((p) => (processes.push(p), p));
  return startWorker(env);
}

/** A worker prints no port; it is up once it logged that it runs. */
async function startWorker(env: Record<string, string>): Promise<ServerProcess> {
  const { spawn } = await import('node:child_process');
  const { TSX_IMPORT } = await import('../../../test/support/server-process.js');
  const child = spawn(process.execPath, ['--import', TSX_IMPORT, join(REPO_ROOT, 'packages/server/src/main.ts')], { env: { ...process.env, ...env, SCAIGRID_LOG_LEVEL: 'info' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const check = () => out.includes('ScaiGrid worker running') && resolve();
    child.stdout.on('data', check);
    void exited.then((code) => reject(new Error(`worker exited with ${code}:\n${out}`)));
  });
  const p: ServerProcess = { child, url: '', port: 0, output: () => out, exited, stop: async (signal = 'SIGTERM') => (child.exitCode === null && child.kill(signal), exited) };
  processes.push(p);
  return p;
}

/** One streamed completion; resolves with the request id when the client received all of it, else undefined. */
async function streamOnce(url: string, requestId: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/oai/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ model: 'chat-model', stream: true, stream_options: { include_usage: true }, max_tokens: 50, messages: [{ role: 'user', content: 'go' }] }),
    });
    if (res.status !== 200) return undefined;
    const body = await res.text();
    return body.trimEnd().endsWith('data: [DONE]') ? requestId : undefined;
  } catch {
    return undefined;
  }
}

async function usageRequestIds(): Promise<string[]> {
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection(stores.database);
  try {
    const [rows] = await conn.query('SELECT request_id FROM accounting_usage');
    return (rows as { request_id: string }[]).map((r) => r.request_id);
  } finally {
    await conn.end();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it.runIf(REAL)('kill -9 of the http server mid-load and of the worker mid-flush loses and duplicates nothing', async () => {
  const completed = new Set<string>();

  // 1. Load on the first http server: 8 clients in a loop, killed with SIGKILL while streams are in flight.
  const first = await start('http');
  let stop = false;
  let n = 0;
  const clients = Array.from({ length: 8 }, async () => {
    while (!stop) {
      const id = await streamOnce(first.url, `crash-a-${n++}`);
      if (id) completed.add(id);
    }
  });
  while (completed.size < 30) await sleep(20);
  first.child.kill('SIGKILL');
  stop = true;
  await Promise.all(clients);
  await first.exited;
  const startedBeforeKill = n;
  expect(completed.size).toBeLessThan(startedBeforeKill); // some requests were cut by the kill

  // Nothing was flushed by the http server itself.
  expect(await usageRequestIds()).toEqual([]);

  // 2. Restart the http server; more load, completed normally.
  const second = await start('http');
  const more = await Promise.all(Array.from({ length: 12 }, (_, i) => streamOnce(second.url, `crash-b-${i}`)));
  for (const id of more) if (id) completed.add(id);
  expect(more.every(Boolean)).toBe(true);
  await second.stop();

  // 3. A worker flushes the backlog batch by batch; kill -9 it part-way.
  const backlog = await redis.llen(USAGE_PENDING_KEY);
  expect(backlog).toBeGreaterThanOrEqual(completed.size);
  const worker = await start('worker');
  for (let i = 0; i < 3000; i++) {
    const stored = (await usageRequestIds()).length;
    if (stored > 0 && stored < completed.size) break;
    await sleep(10);
  }
  worker.child.kill('SIGKILL');
  await worker.exited;
  const partial = (await usageRequestIds()).length;
  expect(partial).toBeGreaterThan(0);
  expect(partial).toBeLessThan(completed.size);

  // 4. A new worker takes over (orphaned batches included) and finishes.
  const finisher = await start('worker');
  for (let i = 0; i < 3000; i++) {
    if ((await redis.llen(USAGE_PENDING_KEY)) === 0 && (await redis.zcard(USAGE_BATCHES_KEY)) === 0) break;
    await sleep(20);
  }
  await finisher.stop();

  const stored = await usageRequestIds();
  expect(new Set(stored).size).toBe(stored.length);
  expect([...stored].sort()).toEqual([...completed].sort());
}, 180_000);
