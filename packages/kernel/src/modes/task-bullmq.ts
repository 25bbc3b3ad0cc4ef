/**
 * @module modes/task-bullmq
 * Task scheduling over real Redis with BullMQ job schedulers. Every worker process upserts the
 * same schedulers (idempotent in BullMQ: each tick is one job whose id is derived from the
 * scheduler id and the tick time), and the workers compete for those jobs, so a tick runs once
 * across any number of processes. One queue per kernel namespace keeps test runs and
 * deployments sharing a Redis server apart.
 */
import { Queue, Worker, type Job, type RepeatStrategy } from 'bullmq';
import type { Logger } from 'pino';
import type { TaskDeclaration } from '../context.js';
import type { RedisStore } from '../stores/types.js';
import { runTaskTick } from './task-run.js';
import { nextCronTick, TASK_QUEUE_NAME, TASK_TIMEZONE, taskKey, taskQueuePrefix } from './task-schedule.js';

/**
 * BullMQ's next tick of a cron scheduler, from the same evaluator the validation and the
 * in-process scheduler use (BullMQ's own would read the pattern with cron-parser). The queue
 * computes the first tick, the worker each next one, so both get it.
 */
const repeatStrategy: RepeatStrategy = (millis, opts) => (opts.pattern ? nextCronTick(opts.pattern, millis) : undefined);

export interface BullmqSchedulerOptions {
  tasks: readonly TaskDeclaration[];
  redis: RedisStore;
  instanceId: string;
  log: Logger;
  /** How long stop() waits for running handlers before closing the worker by force. */
  stopGraceMs?: number;
}

interface TaskJobData {
  moduleId: string;
  name: string;
}


export async function startBullmqScheduler(options: BullmqSchedulerOptions): Promise<{ stop(): Promise<void> }> {
  const { tasks, redis, instanceId, log, stopGraceMs = 5_000 } = options;
  const prefix = taskQueuePrefix(redis.namespace);
  const byKey = new Map(tasks.map((task) => [taskKey(task), task]));

  // BullMQ needs maxRetriesPerRequest: null, and must not share the kernel's prefixed clients.
  const queueConnection = redis.connect({ maxRetriesPerRequest: null });
  const workerConnection = redis.connect({ maxRetriesPerRequest: null });
  const queue = new Queue<TaskJobData>(TASK_QUEUE_NAME, { connection: queueConnection, prefix, settings: { repeatStrategy } });
  queue.on('error', (err) => log.error({ err }, 'Task queue error'));

  const controller = new AbortController();
  const running = new Set<Promise<unknown>>();
  let worker: Worker<TaskJobData> | undefined;

  try {
    await syncSchedulers(queue, tasks, log);
    worker = new Worker<TaskJobData>(
      TASK_QUEUE_NAME,
      async (job) => {
        const task = byKey.get(job.name);
        if (!task) {
          // A job queued by another deployment's worker; leave a trace instead of failing silently.
          log.warn({ job: job.name, id: job.id }, `No task '${job.name}' is declared in this process; tick skipped`);
          return;
        }
        const run = runTaskTick(task, tickTime(job), controller.signal, log);
        running.add(run);
        const error = await run.finally(() => running.delete(run));
        // Rethrown so BullMQ records the tick as failed; the scheduler keeps ticking regardless.
        if (error !== undefined) throw error;
      },
      {
        connection: workerConnection,
        prefix,
        settings: { repeatStrategy },
        name: instanceId,
        // Enough slots that one slow task does not hold back the others' ticks in this process.
        concurrency: Math.max(1, Math.min(tasks.length, 16)),
      },
    );
    worker.on('error', (err) => log.error({ err }, 'Task worker error'));
    await worker.waitUntilReady();
  } catch (err) {
    await worker?.close(true).catch(() => undefined);
    await queue.close().catch(() => undefined);
    queueConnection.disconnect();
    workerConnection.disconnect();
    throw err;
  }

  log.info({ tasks: [...byKey.keys()], prefix, queue: TASK_QUEUE_NAME }, 'Task scheduler started (BullMQ)');
  const startedWorker = worker;
  let stopping: Promise<void> | undefined;

  return {
    stop() {
      stopping ??= (async () => {
        controller.abort();
        const finished = await Promise.race([
          Promise.allSettled([...running]).then(() => true),
          delay(stopGraceMs).then(() => false),
        ]);
        if (!finished) {
          // The job's lock will expire and BullMQ will hand the tick to another worker (at least once).
          log.warn({ graceMs: stopGraceMs }, 'Task handlers still running after stop; closing the worker by force');
        }
        await startedWorker.close(!finished);
        await queue.close();
        await Promise.allSettled([queueConnection.quit(), workerConnection.quit()]);
      })();
      return stopping;
    },
  };
}

/** Upserts a scheduler per declared task and removes the ones no longer declared. */
async function syncSchedulers(queue: Queue<TaskJobData>, tasks: readonly TaskDeclaration[], log: Logger): Promise<void> {
  const declared = new Set(tasks.map(taskKey));
  for (const existing of await queue.getJobSchedulers(0, -1)) {
    if (declared.has(existing.key)) continue;
    await queue.removeJobScheduler(existing.key);
    log.info({ task: existing.key }, `Removed the schedule of task '${existing.key}', which no module declares any more`);
  }
  for (const task of tasks) {
    const key = taskKey(task);
    const repeat = task.everyMs !== undefined ? { every: task.everyMs } : { pattern: task.cron!, tz: TASK_TIMEZONE };
    await queue.upsertJobScheduler(key, repeat, {
      name: key,
      data: { moduleId: task.moduleId, name: task.name },
      // Ticks are frequent; keep a short history for inspection instead of growing Redis forever.
      opts: { removeOnComplete: { count: 50 }, removeOnFail: { count: 200 } },
    });
  }
}

/** The tick's scheduled time: BullMQ stores it as prevMillis and in the id `repeat:<key>:<millis>`. */
function tickTime(job: Job<TaskJobData>): number {
  const fromOpts = Number(job.opts.prevMillis);
  if (Number.isFinite(fromOpts) && fromOpts > 0) return fromOpts;
  const fromId = Number(job.id?.slice(job.id.lastIndexOf(':') + 1));
  if (Number.isFinite(fromId) && fromId > 0) return fromId;
  return job.timestamp + (job.opts.delay ?? 0);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
