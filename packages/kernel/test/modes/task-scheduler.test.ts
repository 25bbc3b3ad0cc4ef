import { afterEach, describe, expect, it } from 'vitest';
import type { TaskDeclaration } from '../../src/context.js';
import { startTaskScheduler, type TaskScheduler } from '../../src/modes/task-scheduler.js';
import { captureLog, testRedisStore } from './fixtures/redis-store.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const memory = () => testRedisStore('memory://', `t${process.pid}`);

describe('task scheduler, embedded (memory://)', () => {
  let scheduler: TaskScheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
  });

  it('runs an everyMs task repeatedly on a fixed grid, starting at once', async () => {
    const ticks: number[] = [];
    const { log } = captureLog();
    const redis = await memory();
    const start = Date.now();
    scheduler = await startTaskScheduler({
      redis,
      instanceId: 'a',
      log,
      tasks: [{ moduleId: 'test', name: 'every', everyMs: 200, handler: ({ tickAt }) => void ticks.push(tickAt) }],
    });
    await sleep(1_100);
    expect(ticks.length).toBeGreaterThanOrEqual(5);
    expect(ticks.length).toBeLessThanOrEqual(7);
    expect(ticks[0] - start).toBeLessThan(100);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i] - ticks[i - 1]).toBe(200);
  });

  it('runs a seconds cron about once per second, on the second', async () => {
    const ticks: number[] = [];
    scheduler = await startTaskScheduler({
      redis: await memory(),
      instanceId: 'a',
      log: captureLog().log,
      tasks: [{ moduleId: 'test', name: 'cron', cron: '* * * * * *', handler: ({ tickAt }) => void ticks.push(tickAt) }],
    });
    await sleep(2_600);
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.length).toBeLessThanOrEqual(3);
    for (const tick of ticks) expect(tick % 1000).toBe(0);
    expect(new Set(ticks).size).toBe(ticks.length);
  });

  it('stops ticking on stop() and aborts the signal of a running handler', async () => {
    let runs = 0;
    let aborted = false;
    const stopper = await startTaskScheduler({
      redis: await memory(),
      instanceId: 'a',
      log: captureLog().log,
      tasks: [
        {
          moduleId: 'test',
          name: 'slow',
          everyMs: 100,
          async handler({ signal }) {
            runs++;
            await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
            aborted = signal.aborted;
          },
        },
      ],
    });
    await sleep(150);
    await stopper.stop();
    expect(aborted).toBe(true);
    const after = runs;
    await sleep(400);
    expect(runs).toBe(after);
  });

  it('never overlaps runs of one task and skips the ticks that fell due meanwhile', async () => {
    let active = 0;
    let maxActive = 0;
    const ticks: number[] = [];
    scheduler = await startTaskScheduler({
      redis: await memory(),
      instanceId: 'a',
      log: captureLog().log,
      tasks: [
        {
          moduleId: 'test',
          name: 'long',
          everyMs: 100,
          async handler({ tickAt }) {
            ticks.push(tickAt);
            maxActive = Math.max(maxActive, ++active);
            await sleep(250);
            active--;
          },
        },
      ],
    });
    await sleep(1_000);
    expect(maxActive).toBe(1);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i] - ticks[i - 1]).toBe(300);
  });

  it('logs a failing handler with its module and task, and keeps the other tasks ticking', async () => {
    const { log, lines } = captureLog();
    let healthy = 0;
    scheduler = await startTaskScheduler({
      redis: await memory(),
      instanceId: 'a',
      log,
      tasks: [
        { moduleId: 'broken', name: 'fails', everyMs: 100, handler: () => Promise.reject(new Error('boom')) },
        { moduleId: 'fine', name: 'works', everyMs: 100, handler: () => void healthy++ },
      ],
    });
    await sleep(450);
    expect(healthy).toBeGreaterThanOrEqual(4);
    const failures = lines.filter((line) => line.level === 50);
    expect(failures.length).toBeGreaterThanOrEqual(4);
    expect(failures[0]).toMatchObject({ moduleId: 'broken', task: 'fails', err: { message: 'boom' } });
  });

  it('rejects invalid declarations naming the task', async () => {
    const start = async (tasks: TaskDeclaration[]) =>
      startTaskScheduler({ redis: await memory(), instanceId: 'a', log: captureLog().log, tasks });
    const handler = () => undefined;
    await expect(start([{ moduleId: 'm', name: 'x', cron: 'not a cron', handler }])).rejects.toThrow(/\[TASK_INVALID\] Task 'm\/x'/);
    await expect(start([{ moduleId: 'm', name: 'x', handler }])).rejects.toThrow(/exactly one of 'cron' or 'everyMs'/);
    await expect(start([{ moduleId: 'm', name: 'x', everyMs: 0, handler }])).rejects.toThrow(/positive integer/);
    await expect(start([{ moduleId: 'm', name: 'a:b', everyMs: 10, handler }])).rejects.toThrow(/invalid name/);
    await expect(
      start([
        { moduleId: 'm', name: 'x', everyMs: 10, handler },
        { moduleId: 'm', name: 'x', everyMs: 20, handler },
      ]),
    ).rejects.toThrow(/declared twice/);
  });
});
