/**
 * @module audit-writer
 * Writes audit rows off the request path: rows are queued and inserted in batches right
 * after the response, so a request never waits on the database. A failed batch is retried
 * with backoff; rows that still cannot be written, or that overflow the queue, are logged
 * (ids, actor, method, path, status: the row minus its summary) so none is lost silently.
 */
import { setImmediate as nextCheckPhase } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AuditRecord } from './audit-record.js';
import type { AuditStore } from './audit-store.js';

const BATCH = 200;
const RETRY_DELAYS_MS = [100, 500, 2_000];

const forLog = ({ summary: _summary, ...row }: AuditRecord) => row;

export class AuditWriter {
  private queue: AuditRecord[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly store: AuditStore,
    private readonly log: Logger,
    private readonly maxQueued: number,
  ) {}

  /** Queues a row; the write starts on the next tick. */
  enqueue(record: AuditRecord): void {
    if (this.queue.length >= this.maxQueued) {
      this.log.error({ audit: forLog(record) }, 'Audit queue full; this audit row is dropped (see the log entry for its content)');
      return;
    }
    this.queue.push(record);
    this.running ??= this.drain();
  }

  /** Resolves when every queued row is written (or logged as lost). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    await nextCheckPhase();
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH);
      await this.write(batch);
    }
    // No await between the empty check and this: a row queued meanwhile starts a new drain.
    this.running = undefined;
  }

  private async write(batch: AuditRecord[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store.insert(batch);
        return;
      } catch (err) {
        if (attempt >= RETRY_DELAYS_MS.length) {
          for (const record of batch) this.log.error({ err, audit: forLog(record) }, 'Could not write an audit row; it is recorded in this log entry instead');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[attempt]));
      }
    }
  }
}
