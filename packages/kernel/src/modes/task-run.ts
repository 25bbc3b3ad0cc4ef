/**
 * @module modes/task-run
 * Runs one tick of one task and logs how it went. Both schedulers go through here so that a
 * failing handler is reported the same way (module id, task name, tick) and never escapes to
 * take the scheduler, or other tasks, down with it.
 */
import type { Logger } from 'pino';
import type { TaskDeclaration } from '../context.js';

/** Runs the handler; resolves to the error it threw (already logged), or undefined. */
export async function runTaskTick(
  task: TaskDeclaration,
  tickAt: number,
  signal: AbortSignal,
  log: Logger,
): Promise<unknown> {
  const started = Date.now();
  try {
    await task.handler({ tickAt, signal });
    log.debug({ moduleId: task.moduleId, task: task.name, tickAt, ms: Date.now() - started }, 'task ran');
    return undefined;
  } catch (err) {
    log.error(
      { err, moduleId: task.moduleId, task: task.name, tickAt, ms: Date.now() - started },
      `Task '${task.name}' of module '${task.moduleId}' failed`,
    );
    return err ?? new Error('task handler threw a nullish value');
  }
}
