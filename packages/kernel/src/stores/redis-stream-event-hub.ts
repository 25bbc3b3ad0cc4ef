/**
 * @module stores/redis-stream-event-hub
 * The event hub across processes: one Redis stream per topic (`<namespace>:events:<topic>`,
 * trimmed to about 10 000 entries). A broadcast subscription gets everything added after it
 * subscribed; all of a process's broadcast subscriptions share one blocking connection (see
 * redis-stream-broadcast-reader). A queue subscription reads through a consumer group on its
 * own connection, acknowledges after its handler succeeds, replays its own unacknowledged
 * entries when it starts, and claims entries left idle by consumers that died, so that what
 * was published while a consumer was down, or while it crashed mid-handling, is still handled.
 */
import type { Redis } from 'ioredis';
import type { EventBus, EventHandler, SubscribeOptions } from './types.js';
import type { EventHub, EventHubOptions } from './event-bus.js';
import { assertTopic, encodePayload } from './event-codec.js';
import { createBroadcastReader } from './redis-stream-broadcast-reader.js';
import { toEventMessage, type StreamEntry } from './redis-stream-entry.js';

const MAX_LENGTH = '10000';
/** Short enough that a stopped subscription notices promptly even if disconnecting is slow. */
const BLOCK_MS = 1000;
const BATCH = 100;
/** An entry pending this long on some consumer is taken to belong to a dead one and claimed. */
const CLAIM_IDLE_MS = 60_000;
const CLAIM_EVERY_MS = 30_000;
/** After this many deliveries an entry whose handler keeps failing is logged and dropped. */
const MAX_DELIVERIES = 5;

export function createRedisStreamEventHub(options: EventHubOptions): EventHub {
  const { redis, instanceId, log } = options;
  let queueSubscriptions = 0;
  const keyOf = (topic: string) => `${redis.namespace}:events:${assertTopic(topic)}`;
  const stops = new Set<() => Promise<void>>();
  let commands: Redis | null = null;
  let closed = false;

  // Unprefixed, so the stream keys are spelled out in full in every command; non-blocking commands only.
  const command = (): Redis => (commands ??= redis.connect());
  const broadcast = createBroadcastReader({ redis, command, log });

  const subscribe = async (moduleId: string, topic: string, handler: EventHandler<any>, subscribeOptions: SubscribeOptions = {}) => {
    if (closed) throw new Error('Event hub is closed.');
    const key = keyOf(topic);
    if (subscribeOptions.mode !== 'queue') return broadcast.subscribe(moduleId, topic, key, handler);
    const group = subscribeOptions.group ?? moduleId;
    // One consumer name per subscription: two subscriptions of one group in one process must not
    // replay each other's pending entries. The order of subscriptions is the same after a restart
    // with the same instance id, so each name still finds its own pending entries again.
    const consumer = `${instanceId}.${++queueSubscriptions}`;
    let active = true;
    let wake: (() => void) | null = null;

    const handle = async (entry: StreamEntry): Promise<boolean> => {
      try {
        await handler(toEventMessage(topic, entry));
        return true;
      } catch (err) {
        log.error({ err, module: moduleId, topic, eventId: entry[0] }, 'Event handler failed');
        return false;
      }
    };
    const handleAndAck = async (entry: StreamEntry) => {
      // A trimmed entry still pending comes back with no fields: nothing to handle, only to acknowledge.
      if (entry[1] === null || (await handle(entry))) await command().xack(key, group, entry[0]);
    };
    const pause = (ms: number) => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => { clearTimeout(timer); resolve(); };
    });
    const ensureGroup = async () => {
      try {
        // `$`: a new group starts with what is published from now on, not the stream's history.
        await command().xgroup('CREATE', key, group, '$', 'MKSTREAM');
      } catch (err) {
        if (!String((err as Error).message).includes('BUSYGROUP')) throw err;
      }
    };

    const replayOwnPending = async () => {
      let cursor = '0';
      while (active) {
        const result = (await reader.xreadgroup('GROUP', group, consumer, 'COUNT', BATCH, 'STREAMS', key, cursor)) as [string, StreamEntry[]][] | null;
        const entries = result?.[0]?.[1] ?? [];
        if (entries.length === 0) return;
        for (const entry of entries) {
          cursor = entry[0];
          await handleAndAck(entry);
        }
      }
    };

    const claimAbandoned = async () => {
      const stale = (await command().xpending(key, group, 'IDLE', CLAIM_IDLE_MS, '-', '+', BATCH)) as [string, string, number, number][];
      const ids: string[] = [];
      for (const [id, owner, , deliveries] of stale) {
        if (deliveries >= MAX_DELIVERIES) {
          log.error({ module: moduleId, topic, group, eventId: id, consumer: owner, deliveries }, 'Event dropped: its handler failed on every delivery');
          await command().xack(key, group, id);
        } else {
          ids.push(id);
        }
      }
      if (ids.length === 0) return;
      const claimed = (await command().xclaim(key, group, consumer, CLAIM_IDLE_MS, ...ids)) as StreamEntry[];
      for (const entry of claimed) if (active) await handleAndAck(entry);
    };

    await ensureGroup();

    // A dedicated connection per queue subscription: XREADGROUP BLOCK holds it for up to BLOCK_MS at a time.
    const reader = redis.connect();
    const run = async () => {
      let nextClaim = 0;
      let replayed = false;
      while (active) {
        try {
          if (!replayed) {
            await replayOwnPending();
            replayed = true;
          }
          if (Date.now() >= nextClaim) {
            await claimAbandoned();
            nextClaim = Date.now() + CLAIM_EVERY_MS;
          }
          const result = (await reader.xreadgroup('GROUP', group, consumer, 'COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', key, '>')) as [string, StreamEntry[]][] | null;
          for (const entry of result?.[0]?.[1] ?? []) await handleAndAck(entry);
        } catch (err) {
          if (!active) return;
          const message = String((err as Error).message);
          // The stream (and its group) was deleted under us: recreate and go on.
          if (message.includes('NOGROUP')) {
            await ensureGroup().catch(() => undefined);
            continue;
          }
          log.warn({ err, module: moduleId, topic }, 'Event subscription read failed; retrying');
          await pause(1000);
        }
      }
    };
    const loop = run();

    let stopped: Promise<void> | null = null;
    const stop = () => {
      stopped ??= (async () => {
        active = false;
        wake?.();
        // Disconnecting interrupts a blocked read at once instead of waiting out BLOCK_MS.
        reader.disconnect();
        await loop;
        stops.delete(stop);
      })();
      return stopped;
    };
    stops.add(stop);
    return stop;
  };

  return {
    forModule(moduleId: string): EventBus {
      return Object.freeze({
        async publish<T>(topic: string, payload: T) {
          if (closed) throw new Error('Event hub is closed.');
          await command().xadd(keyOf(topic), 'MAXLEN', '~', MAX_LENGTH, '*',
            'source', moduleId, 'time', String(Date.now()), 'payload', encodePayload(payload));
        },
        async subscribe<T>(topic: string, handler: EventHandler<T>, subscribeOptions?: SubscribeOptions) {
          return subscribe(moduleId, topic, handler as EventHandler<any>, subscribeOptions);
        },
      });
    },
    async close() {
      closed = true;
      await Promise.all([broadcast.close(), ...[...stops].map((stop) => stop())]);
      if (commands) await commands.quit().catch(() => commands?.disconnect());
      commands = null;
    },
  };
}
