import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startTaskScheduler, taskQueuePrefix, TASK_QUEUE_NAME } from '../../src/modes/task-scheduler.js';
import { captureLog, deleteNamespace, testRedisStore } from './fixtures/redis-store.js';

const url = process.env.SCAIGRID_TEST_REDIS_URL;
const workerScript = fileURLToPath(new URL('./fixtures/task-worker.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const uniqueNamespace = () => `sgtest-tasks-${process.pid}-${Date.now().toString(36)}`;

// Needs a real Redis server (BullMQ runs Lua scripts ioredis-mock cannot); `pnpm test:real` sets it.
describe.runIf(url)('task scheduler, real Redis (BullMQ)', () => {
  const children: ChildProcess[] = [];
  const namespaces: string[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const namespace of namespaces.splice(0)) await deleteNamespace(url!, namespace);
  });

  function startWorker(namespace: string, instance: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
      env: { ...process.env, REDIS_URL: url, NAMESPACE: namespace, INSTANCE: instance },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`worker ${instance} exited early with ${code}`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve(child);
      });
    });
  }

  it('runs each tick exactly once across two worker processes', async () => {
    const namespace = uniqueNamespace();
    namespaces.push(namespace);
    const workers = await Promise.all([startWorker(namespace, 'w1'), startWorker(namespace, 'w2')]);
    const started = Date.now();
    await sleep(4_500);
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers.map((worker) => (worker.exitCode === null ? once(worker, 'exit') : undefined)));
    const elapsedSeconds = (Date.now() - started) / 1000;

    const redis = new Redis(url!);
    const entries = await redis.lrange(`${namespace}:ticks`, 0, -1);
    await redis.quit();
    const ticks = entries.map((entry) => Number(entry.split('@')[0]));
    expect(new Set(ticks).size, `ticks ran twice: ${entries.join(', ')}`).toBe(ticks.length);
    expect(ticks.length).toBeGreaterThanOrEqual(Math.floor(elapsedSeconds) - 1);
    expect(ticks.length).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 1);
    const sorted = [...ticks].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i] - sorted[i - 1]).toBe(1000);
  }, 30_000);

  it('removes the schedules of tasks no longer declared, runs seconds crons, survives a failing handler', async () => {
    const namespace = uniqueNamespace();
    namespaces.push(namespace);
    const store = await testRedisStore(url!, namespace);
    const handler = () => undefined;
    const first = await startTaskScheduler({
      redis: store,
      instanceId: 'a',
      log: captureLog().log,
      tasks: [
        { moduleId: 'keep', name: 'tick', everyMs: 60_000, handler },
        { moduleId: 'gone', name: 'tick', cron: '0 0 * * *', handler },
      ],
    });
    await first.stop();

    const { log, lines } = captureLog();
    let healthy = 0;
    const cronTicks: number[] = [];
    const second = await startTaskScheduler({
      redis: store,
      instanceId: 'a',
      log,
      tasks: [
        { moduleId: 'keep', name: 'tick', everyMs: 60_000, handler },
        { moduleId: 'broken', name: 'fails', everyMs: 300, handler: () => Promise.reject(new Error('boom')) },
        { moduleId: 'fine', name: 'works', everyMs: 300, handler: () => void healthy++ },
        { moduleId: 'fine', name: 'cron', cron: '* * * * * *', handler: ({ tickAt }) => void cronTicks.push(tickAt) },
      ],
    });
    const queueConnection = store.connect({ maxRetriesPerRequest: null });
    const queue = new Queue(TASK_QUEUE_NAME, { connection: queueConnection, prefix: taskQueuePrefix(namespace) });
    try {
      const ids = (await queue.getJobSchedulers(0, -1)).map((s) => s.key).sort();
      expect(ids).toEqual(['broken/fails', 'fine/cron', 'fine/works', 'keep/tick']);
      await sleep(1_500);
      expect(cronTicks.length).toBeGreaterThanOrEqual(1);
      for (const tick of cronTicks) expect(tick % 1000).toBe(0);
      expect(healthy).toBeGreaterThanOrEqual(3);
      const failure = lines.find((line) => line.level === 50 && line.moduleId === 'broken');
      expect(failure).toMatchObject({ task: 'fails', err: { message: 'boom' } });
    } finally {
      await second.stop();
      await queue.close();
      await queueConnection.quit();
      await store.close();
    }
  }, 30_000);
});
