/**
 * @module modes/task-embedded
 * In-process task scheduling for embedded Redis (`memory://`): one timer loop per task. A loop
 * waits for the handler before planning the next tick, so runs of one task never overlap; ticks
 * that fell due while it ran are skipped rather than replayed in a burst. Interval tasks run
 * once at start and then every `everyMs`, like BullMQ's `every` schedulers.
 */
import type { Logger } from 'pino';
import type { TaskDeclaration } from '../context.js';
import { runTaskTick } from './task-run.js';
import { nextCronTick } from './task-schedule.js';

/** setTimeout fires at once for delays above 2^31-1 ms, so long waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface EmbeddedSchedulerOptions {
  tasks: readonly TaskDeclaration[];
  log: Logger;
  /** How long stop() waits for running handlers after aborting their signal. */
  stopGraceMs?: number;
}

export function startEmbeddedScheduler(options: EmbeddedSchedulerOptions): { stop(): Promise<void> } {
  const { tasks, log, stopGraceMs = 5_000 } = options;
  const controller = new AbortController();
  const loops = tasks.map((task) => runLoop(task, controller.signal, log));

  return {
    async stop() {
      if (controller.signal.aborted) return;
      controller.abort();
      const settled = Promise.all(loops).then(() => true);
      const finished = await Promise.race([settled, delay(stopGraceMs).then(() => false)]);
      if (!finished) log.warn({ graceMs: stopGraceMs }, 'Task handlers still running after stop; leaving them behind');
    },
  };
}

async function runLoop(task: TaskDeclaration, signal: AbortSignal, log: Logger): Promise<void> {
  let tickAt = task.everyMs !== undefined ? Date.now() : nextCronTick(task.cron!, Date.now());
  while (!signal.aborted) {
    if (tickAt === undefined) {
      log.warn({ task: `${task.moduleId}/${task.name}`, cron: task.cron }, 'Task pattern fires no more; it stops ticking');
      return;
    }
    await sleepUntil(tickAt, signal);
    if (signal.aborted) return;
    await runTaskTick(task, tickAt, signal, log);
    tickAt = nextTick(task, tickAt, Date.now());
  }
}

/** The next due time after a run of the tick at `previous` ended at `now`. */
function nextTick(task: TaskDeclaration, previous: number, now: number): number | undefined {
  if (task.everyMs === undefined) return nextCronTick(task.cron!, Math.max(previous, now));
  const every = task.everyMs;
  const next = previous + every;
  // Stay on the original grid but skip the slots that passed while the handler ran.
  return next >= now ? next : previous + Math.ceil((now - previous) / every) * every;
}

/**
 * Resolves at `at` (epoch ms) or as soon as `signal` aborts. The timer keeps the process alive on
 * purpose: a worker whose only job is ticking must not exit; stop() clears it.
 */
async function sleepUntil(at: number, signal: AbortSignal): Promise<void> {
  for (let wait = at - Date.now(); wait > 0 && !signal.aborted; wait = at - Date.now()) {
    await new Promise<void>((resolve) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, Math.min(wait, MAX_TIMER_MS));
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
