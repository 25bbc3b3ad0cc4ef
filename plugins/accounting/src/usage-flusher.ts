/**
 * @module usage-flusher
 * The worker task that moves usage records from Redis to the database in batches. Per batch:
 * claim (atomic move out of the pending list), write (skipping ids already stored), and only
 * then delete the batch from Redis. A crash anywhere in between loses nothing: a claimed batch
 * stays registered and is taken over once stale, and its second write changes nothing.
 */
import type { ModuleContext } from '@scaigrid/kernel';
import type { UsageQueue } from './usage-queue.js';
import { toRow, type UsageRecord } from './usage-record.js';
import type { UsageStore } from './usage-store.js';

type Logger = ModuleContext['log'];

export interface FlushOptions {
  batchSize: number;
  maxBatchesPerTick: number;
  staleBatchMs: number;
}

export interface FlushResult {
  batches: number;
  records: number;
}

export class UsageFlusher {
  constructor(
    private readonly queue: UsageQueue,
    private readonly store: UsageStore,
    private readonly options: FlushOptions,
    private readonly log: Logger,
  ) {}

  /** One tick: finish batches orphaned by dead flushers, then flush new ones. */
  async flush(signal?: AbortSignal): Promise<FlushResult> {
    const result: FlushResult = { batches: 0, records: 0 };
    const now = Date.now();
    for (const batchId of await this.queue.takeOverStale(now - this.options.staleBatchMs, now)) {
      this.log.warn({ batchId }, 'Taking over a usage batch whose flusher stopped; re-writing it is harmless');
      result.records += await this.writeBatch(batchId);
      result.batches++;
    }
    while (result.batches < this.options.maxBatchesPerTick && !signal?.aborted) {
      const batchId = await this.queue.claim(this.options.batchSize, Date.now());
      if (!batchId) break;
      result.records += await this.writeBatch(batchId);
      result.batches++;
    }
    return result;
  }

  /** Writes one claimed batch and deletes it from Redis once the database has it. */
  async writeBatch(batchId: string): Promise<number> {
    const raw = await this.queue.read(batchId);
    const rows = [];
    for (const item of raw) {
      try {
        rows.push(toRow(JSON.parse(item) as UsageRecord));
      } catch (err) {
        // A record that cannot be parsed would block its batch forever; log it whole instead.
        this.log.error({ err, item }, 'Dropping an unreadable usage record');
      }
    }
    if (rows.length > 0) await this.store.insertIgnoringDuplicates(rows);
    await this.queue.done(batchId);
    return rows.length;
  }
}
