/**
 * @module modes/task-scheduler
 * Runs the cron tasks modules declare with `ctx.task()`. With a real Redis the ticks go through
 * BullMQ job schedulers, so a tick runs once across any number of worker processes; with the
 * embedded store (`memory://`, single process by definition) they run on in-process timers.
 * Either way a failing handler is logged with its module and task and the others keep ticking,
 * and each handler gets `{ tickAt, signal }` with the signal aborted on stop().
 */
import type { Logger } from 'pino';
import type { TaskDeclaration } from '../context.js';
import type { RedisStore } from '../stores/types.js';
import { startEmbeddedScheduler } from './task-embedded.js';
import { taskKey, validateTasks } from './task-schedule.js';

export { taskKey, validateTaskSchedule, TaskScheduleError } from './task-schedule.js';
export { taskQueuePrefix, TASK_QUEUE_NAME } from './task-schedule.js';

export interface TaskSchedulerOptions {
  tasks: readonly TaskDeclaration[];
  redis: RedisStore;
  /** Names this process's BullMQ worker, so an operator can tell workers apart. */
  instanceId: string;
  log: Logger;
  /** How long stop() waits for a running handler after aborting its signal (default 5 s). */
  stopGraceMs?: number;
}

export interface TaskScheduler {
  /** Stops ticking, aborts running handlers' signals and waits for them up to the grace period. */
  stop(): Promise<void>;
}

/**
 * Validates every declaration (throwing `[TASK_INVALID]` naming the task) and starts ticking.
 * @example
 * const scheduler = await startTaskScheduler({ tasks, redis, instanceId, log });
 * process.once('SIGTERM', () => void scheduler.stop());
 */
export async function startTaskScheduler(options: TaskSchedulerOptions): Promise<TaskScheduler> {
  validateTasks(options.tasks);
  if (options.redis.embedded) {
    options.log.info({ tasks: options.tasks.map(taskKey) }, 'Task scheduler started (in process)');
    return startEmbeddedScheduler(options);
  }
  // BullMQ is loaded only here, so http processes on embedded stores never pay for it.
  const { startBullmqScheduler } = await import('./task-bullmq.js');
  return startBullmqScheduler(options);
}
