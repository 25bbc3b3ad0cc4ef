/**
 * @module usage-queue
 * Usage records waiting in Redis for the database. Settlement appends to the pending list (in
 * its Lua step); a flusher claims a batch by moving it atomically into the batch's own list,
 * registered with the time it was claimed, and deletes that list only after the database has
 * the rows. A flusher that dies mid-batch leaves the batch registered; once it is older than
 * the stale limit another flusher takes it over and writes it again, which the table's
 * primary key makes harmless.
 */
import type { Redis } from 'ioredis';
import { newUlid, RedisScript } from '@scaigrid/kernel';
import { CLAIM_BATCH_SCRIPT, TAKE_OVER_BATCH_SCRIPT } from './ledger-scripts.js';

export const USAGE_PENDING_KEY = 'usage:pending';
export const USAGE_BATCHES_KEY = 'usage:batches';
export const usageBatchKey = (batchId: string) => `usage:batch:${batchId}`;

const CLAIM_BATCH = new RedisScript(CLAIM_BATCH_SCRIPT);
const TAKE_OVER_BATCH = new RedisScript(TAKE_OVER_BATCH_SCRIPT);

export class UsageQueue {
  constructor(private readonly redis: Redis) {}

  /** Moves up to `size` pending records into a new batch; undefined when nothing is pending. */
  async claim(size: number, now: number): Promise<string | undefined> {
    const batchId = newUlid(now);
    const moved = await CLAIM_BATCH.run(this.redis, [USAGE_PENDING_KEY, USAGE_BATCHES_KEY, usageBatchKey(batchId)], [String(size), String(now), batchId]);
    return Number(moved) > 0 ? batchId : undefined;
  }

  /** Batches claimed at or before `olderThan` whose flusher is presumed dead, taken over now. */
  async takeOverStale(olderThan: number, now: number): Promise<string[]> {
    const flat = await this.redis.zrangebyscore(USAGE_BATCHES_KEY, '-inf', String(olderThan), 'WITHSCORES');
    const taken: string[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      if (Number(await TAKE_OVER_BATCH.run(this.redis, [USAGE_BATCHES_KEY], [flat[i]!, flat[i + 1]!, String(now)])) === 1) taken.push(flat[i]!);
    }
    return taken;
  }

  async read(batchId: string): Promise<string[]> {
    return this.redis.lrange(usageBatchKey(batchId), 0, -1);
  }

  /** Called once the database holds the batch. */
  async done(batchId: string): Promise<void> {
    await this.redis.multi().del(usageBatchKey(batchId)).zrem(USAGE_BATCHES_KEY, batchId).exec();
  }

  async pendingCount(): Promise<number> {
    return this.redis.llen(USAGE_PENDING_KEY);
  }

  async batchCount(): Promise<number> {
    return this.redis.zcard(USAGE_BATCHES_KEY);
  }
}
