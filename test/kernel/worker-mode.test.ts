/**
 * Worker mode on Redis: two `SCAIGRID_MODE=worker` processes share the task schedule, and a
 * task scheduled every second runs once per tick.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { REPO_ROOT, TSX_IMPORT, writeConfig } from '../support/server-process.js';

const REDIS_URL = process.env.SCAIGRID_TEST_REDIS_URL;

// From the sources and from the bundle `pnpm start` runs: there BullMQ (kept external) is handed
// connections made by the bundle's own copy of ioredis.
const ENTRIES = {
  sources: ['--import', TSX_IMPORT, join(REPO_ROOT, 'packages/server/src/main.ts')],
  bundle: [join(REPO_ROOT, 'packages/server/scripts/start.mjs')],
};

// Needs a real Redis (BullMQ cannot run on the embedded store); CI sets the URL.
it.runIf(Boolean(REDIS_URL)).each(Object.keys(ENTRIES) as (keyof typeof ENTRIES)[])('runs a one-second task once per tick across two workers (%s)', async (entry) => {
  const namespace = `tw${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), 'sg-worker-'));
  const config = writeConfig({ database: `sqlite:${join(dir, 'gw.db')}`, redis: REDIS_URL, redisNamespace: namespace, modules: [join(REPO_ROOT, 'test/kernel/fixtures/tick-module')] }, dir);
  const start = () =>
    spawn(process.execPath, ENTRIES[entry], {
      cwd: dir,
      env: { ...process.env, SCAIGRID_MODE: 'worker', SCAIGRID_CONFIG: config, SCAIGRID_LOG_LEVEL: 'warn' },
      stdio: 'inherit',
    });
  const workers = [start(), start()];
  const redis = new Redis(REDIS_URL!);
  try {
    await new Promise((r) => setTimeout(r, 9000));
    const ticks = await redis.lrange(`${namespace}:tick:ticks`, 0, -1);
    const times = ticks.map((t) => Number(t.split(':')[0]));
    expect(new Set(times).size).toBe(times.length);
    // Both workers boot in a few seconds on a loaded machine; after that, one run per second.
    expect(times.length).toBeGreaterThanOrEqual(3);
    const sorted = [...times].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i] - sorted[i - 1]).toBeGreaterThanOrEqual(1000);
  } finally {
    // A worker that already exited (a failed boot) would never emit 'exit' again.
    await Promise.all(workers.map((w) => new Promise((r) => { if (w.exitCode !== null || w.signalCode !== null) return r(undefined); w.once('exit', r); w.kill('SIGTERM'); })));
    const keys = await redis.keys(`${namespace}:*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
}, 30_000);
