/**
 * @module stores/redis-stream-broadcast-reader
 * Every broadcast subscription of one event hub, read over one connection: a single
 * `XREAD BLOCK` covers all their streams, each from where its subscriptions have got to, so a
 * process holds one blocking connection however many topics its modules listen to (it was one
 * per subscription: eight in the benchmark's gateway). Entries are handed to each subscription's
 * own queue and handled there in order, so a slow or failing handler delays no other. A
 * subscription whose queue is full is left out of the reads until it has caught up; the stream
 * itself is the buffer, as it was with a connection each.
 *
 * A subscription added while the read is blocked wakes it by appending to a small stream of
 * this reader's own that every read includes, so the new topic is read at once, not after
 * the block times out.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { EventHandler, RedisStore } from './types.js';
import { compareStreamIds, toEventMessage, type StreamEntry } from './redis-stream-entry.js';

/** Short enough that a lost wake-up costs little; close() interrupts the read at once anyway. */
const BLOCK_MS = 1000;
const BATCH = 100;
/** Entries queued for a subscription before its stream is left out of the reads. */
const HIGH_WATER = BATCH;
/** The wake stream outlives a crashed process by this long at most. */
const WAKE_TTL_MS = 60_000;

export interface BroadcastReaderOptions {
  redis: RedisStore;
  /** The hub's non-blocking connection (unprefixed). */
  command(): Redis;
  log: Logger;
}

export interface BroadcastReader {
  /** Delivers what is added to `key` after this resolves; resolves with the unsubscribe function. */
  subscribe(moduleId: string, topic: string, key: string, handler: EventHandler<any>): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

class Subscription {
  private readonly queue: StreamEntry[] = [];
  private running: Promise<void> | null = null;
  active = true;
  /** Set when a read left this subscription out for being full; it asks to be read again once drained. */
  leftOut = false;

  constructor(
    readonly moduleId: string,
    readonly topic: string,
    readonly key: string,
    /** Id of the last entry queued for this subscription. */
    public cursor: string,
    private readonly handler: EventHandler<any>,
    private readonly log: Logger,
    private readonly onCaughtUp: () => void,
  ) {}

  get full(): boolean {
    return this.queue.length >= HIGH_WATER;
  }

  enqueue(entry: StreamEntry): void {
    this.cursor = entry[0];
    this.queue.push(entry);
    this.running ??= this.drain();
  }

  /** Lets the handler in hand finish; what is still queued is dropped, as a closed connection's reads were. */
  async stop(): Promise<void> {
    this.active = false;
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.active && this.queue.length > 0) {
      const entry = this.queue.shift()!;
      try {
        await this.handler(toEventMessage(this.topic, entry));
      } catch (err) {
        this.log.error({ err, module: this.moduleId, topic: this.topic, eventId: entry[0] }, 'Event handler failed');
      }
    }
    this.running = null;
    if (this.leftOut && this.active) {
      this.leftOut = false;
      this.onCaughtUp();
    }
  }
}

export function createBroadcastReader(options: BroadcastReaderOptions): BroadcastReader {
  const { redis, command, log } = options;
  const wakeKey = `${redis.namespace}:events-wake:${randomUUID()}`;
  const subscriptions = new Set<Subscription>();
  let reader: Redis | null = null;
  let loop: Promise<void> | null = null;
  let running = false;
  let reading = false;
  let woken = false;
  let wakeCursor = '0-0';
  let closed = false;
  let wakeFromPause: (() => void) | null = null;

  const wake = () => {
    wakeFromPause?.();
    if (!reading) return;
    woken = true;
    command()
      .pipeline()
      .xadd(wakeKey, 'MAXLEN', '1', '*', 'wake', '1')
      .pexpire(wakeKey, WAKE_TTL_MS)
      .exec()
      .catch((err: unknown) => log.warn({ err }, 'Could not wake the event reader; it picks the new subscription up within a second'));
  };

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeFromPause = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (wakeFromPause = null));

  /** The streams to read now: each key from the lowest cursor among its subscriptions that have room. */
  const plan = () => {
    const byKey = new Map<string, { from: string; subscriptions: Subscription[] }>();
    for (const subscription of subscriptions) {
      if (subscription.full) {
        subscription.leftOut = true;
        continue;
      }
      const entry = byKey.get(subscription.key);
      if (!entry) byKey.set(subscription.key, { from: subscription.cursor, subscriptions: [subscription] });
      else {
        entry.subscriptions.push(subscription);
        if (compareStreamIds(subscription.cursor, entry.from) < 0) entry.from = subscription.cursor;
      }
    }
    return byKey;
  };

  const run = async () => {
    for (;;) {
      if (closed || subscriptions.size === 0) {
        // In the same step as the check, so a subscribe() from now on starts a new loop.
        running = false;
        return;
      }
      const streams = plan();
      const keys = [wakeKey, ...streams.keys()];
      const ids = [wakeCursor, ...[...streams.values()].map((s) => s.from)];
      try {
        reader ??= redis.connect({ connectionName: `${redis.namespace}:events-reader` });
        reading = true;
        const result = (await reader.xread('COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', ...keys, ...ids)) as [string, StreamEntry[]][] | null;
        reading = false;
        for (const [key, entries] of result ?? []) {
          if (key === wakeKey) {
            wakeCursor = entries[entries.length - 1]?.[0] ?? wakeCursor;
            continue;
          }
          // Only subscriptions that were part of this read: a full one's cursor may be behind `from`.
          for (const subscription of streams.get(key)?.subscriptions ?? []) {
            for (const entry of entries) {
              if (subscription.active && compareStreamIds(entry[0], subscription.cursor) > 0) subscription.enqueue(entry);
            }
          }
        }
      } catch (err) {
        reading = false;
        if (!closed) {
          log.warn({ err }, 'Event subscription read failed; retrying');
          await pause(1000);
        }
      }
    }
  };

  return {
    async subscribe(moduleId, topic, key, handler) {
      // Only what is added after subscribe() resolves: start from the stream's current last id.
      const last = (await command().xrevrange(key, '+', '-', 'COUNT', 1)) as StreamEntry[];
      if (closed) throw new Error('Event hub is closed.');
      const subscription = new Subscription(moduleId, topic, key, last[0]?.[0] ?? '0-0', handler, log, wake);
      subscriptions.add(subscription);
      if (running) wake();
      else {
        running = true;
        loop = run();
      }
      let stopped: Promise<void> | null = null;
      return () => {
        stopped ??= (async () => {
          subscriptions.delete(subscription);
          await subscription.stop();
        })();
        return stopped;
      };
    },
    async close() {
      closed = true;
      wakeFromPause?.();
      // Disconnecting interrupts a blocked read at once instead of waiting out BLOCK_MS.
      reader?.disconnect();
      await loop;
      await Promise.all([...subscriptions].map((s) => s.stop()));
      subscriptions.clear();
      if (woken) await command().del(wakeKey).catch(() => undefined);
    },
  };
}
