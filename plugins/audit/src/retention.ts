/**
 * @module retention
 * Deletes audit rows older than the retention period, a small batch per statement so that no
 * transaction grows large (Galera certifies each write set as a whole), until none is left
 * or the task is asked to stop.
 */
import type { TaskContext } from '@scaigrid/kernel';
import type { Logger } from 'pino';
import type { AuditStore } from './audit-store.js';

const DAY_MS = 86_400_000;

export async function purgeExpired(store: AuditStore, options: { retentionDays: number; batchSize: number; log: Logger }, task: TaskContext): Promise<number> {
  const before = task.tickAt - options.retentionDays * DAY_MS;
  let total = 0;
  while (!task.signal.aborted) {
    const deleted = await store.deleteOlderThan(before, options.batchSize);
    total += deleted;
    if (deleted < options.batchSize) break;
  }
  if (total > 0) options.log.info({ deleted: total, before: new Date(before).toISOString() }, 'Deleted expired audit rows');
  return total;
}
