/**
 * @module stores/event-bus
 * The event hub behind every module's `ctx.events`: in process when redis is embedded
 * (`memory://`, one process), Redis Streams with consumer groups otherwise. `forModule(id)`
 * gives a module its bus, which stamps `source` on what it publishes and defaults a queue
 * subscription's group to the module id.
 */
import type { Logger } from 'pino';
import type { EventBus, RedisStore } from './types.js';
import { createInProcessEventHub } from './in-process-event-hub.js';
import { createRedisStreamEventHub } from './redis-stream-event-hub.js';

export interface EventHub {
  forModule(moduleId: string): EventBus;
  /** Stops every subscription and closes the hub's connections. */
  close(): Promise<void>;
}

export interface EventHubOptions {
  redis: RedisStore;
  /** Consumer name within queue groups; unique per process. */
  instanceId: string;
  log: Logger;
}

/**
 * Creates the hub matching the redis store.
 * @example const hub = createEventHub({ redis, instanceId, log }); await hub.forModule('auth').publish('key.revoked', { id });
 */
export function createEventHub(options: EventHubOptions): EventHub {
  return options.redis.embedded ? createInProcessEventHub(options) : createRedisStreamEventHub(options);
}
