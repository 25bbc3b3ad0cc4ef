/**
 * @module modes/task-schedule
 * Rules shared by both task schedulers: the key that names a task across processes, schedule
 * validation, and the next time a cron pattern fires. Cron patterns are evaluated in UTC in
 * both schedulers so that every instance agrees on when a tick is due, whatever its zone.
 *
 * One evaluator, croner, serves validation, the in-process scheduler and BullMQ (as its
 * `repeatStrategy`), so a pattern means the same everywhere. It replaced cron-parser, whose
 * date library builds an `Intl.DateTimeFormat` even for UTC: that pulled ~5 MB of ICU data
 * into every process's RSS, http ones included, which only validate their modules' patterns.
 * croner reads UTC as a fixed offset, without Intl.
 */
import { Cron } from 'croner';
import type { TaskDeclaration, TaskSchedule } from '../context.js';

/** Zone in which cron patterns are read, in process and in BullMQ alike. */
export const TASK_TIMEZONE = 'UTC';

/**
 * Task names end up inside BullMQ scheduler and job ids (`repeat:<id>:<millis>`), where a colon
 * would be misread as a separator, so they are kept to a safe alphabet.
 */
export const TASK_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A declaration the schedulers cannot run; `code` is stable. */
export class TaskScheduleError extends Error {
  readonly code = 'TASK_INVALID';
  constructor(message: string) {
    super(`[TASK_INVALID] ${message}`);
    this.name = 'TaskScheduleError';
  }
}

/** `moduleId/name`: the scheduler id in BullMQ and the job name the worker dispatches on. */
export function taskKey(task: Pick<TaskDeclaration, 'moduleId' | 'name'>): string {
  return `${task.moduleId}/${task.name}`;
}

/**
 * Throws a TaskScheduleError naming the task and the fix; also meant for `ctx.task()` so a bad
 * declaration fails at setup rather than when the worker starts.
 * @example validateTaskSchedule('audit/prune', { cron: '0 * * * *' })
 */
export function validateTaskSchedule(key: string, schedule: TaskSchedule): void {
  const name = key.slice(key.indexOf('/') + 1);
  if (!TASK_NAME_PATTERN.test(name)) {
    throw new TaskScheduleError(`Task '${key}' has an invalid name; use letters, digits, '.', '_' or '-' (at most 64).`);
  }
  const hasCron = schedule.cron !== undefined;
  const hasEvery = schedule.everyMs !== undefined;
  if (hasCron === hasEvery) {
    throw new TaskScheduleError(`Task '${key}' must set exactly one of 'cron' or 'everyMs'.`);
  }
  if (hasEvery && !(Number.isInteger(schedule.everyMs) && schedule.everyMs! > 0)) {
    throw new TaskScheduleError(`Task '${key}' has everyMs ${String(schedule.everyMs)}; use a positive integer of milliseconds.`);
  }
  if (hasCron) {
    try {
      cronPattern(schedule.cron!);
    } catch (err) {
      throw new TaskScheduleError(
        `Task '${key}' has an invalid cron pattern '${schedule.cron}' (${(err as Error).message}); ` +
          `use five fields, or six with seconds first, e.g. '*/30 * * * * *'.`,
      );
    }
  }
}

/** Validates every declaration and rejects two tasks with the same `moduleId/name`. */
export function validateTasks(tasks: readonly TaskDeclaration[]): void {
  const seen = new Set<string>();
  for (const task of tasks) {
    const key = taskKey(task);
    if (seen.has(key)) throw new TaskScheduleError(`Task '${key}' is declared twice; give each task of a module its own name.`);
    seen.add(key);
    validateTaskSchedule(key, task);
  }
}

/** Parsed patterns: a process has a handful, and a scheduler asks for the next tick of each every tick. */
const parsedPatterns = new Map<string, Cron>();

/** The parsed pattern (five fields, or six with seconds first), in UTC; throws on a bad one. */
function cronPattern(pattern: string): Cron {
  let parsed = parsedPatterns.get(pattern);
  if (!parsed) {
    // No callback: croner only evaluates the pattern and never starts a timer of its own.
    parsed = new Cron(pattern, { utcOffset: 0, mode: '5-or-6-parts' });
    parsedPatterns.set(pattern, parsed);
  }
  return parsed;
}

/**
 * The first time strictly after `after` (epoch ms) at which `pattern` fires, or undefined when
 * it never does again (a pattern naming a date that does not occur, such as 30 February).
 */
export function nextCronTick(pattern: string, after: number): number | undefined {
  return cronPattern(pattern).nextRun(new Date(after))?.getTime();
}

/** Name of the BullMQ queue holding every task's scheduler. */
export const TASK_QUEUE_NAME = 'tasks';

/** BullMQ key prefix for a namespace: `<namespace>:bull`, so `<namespace>:*` covers everything. */
export function taskQueuePrefix(namespace: string): string {
  return namespace ? `${namespace}:bull` : 'bull';
}
