/**
 * @module stores/script-route
 * Where a module client's Lua scripts are sent. Each module has its own ioredis client (keys
 * prefixed `<namespace>:<module>:`), so the two scripts one request runs at the same moment
 * (a rate-limit check and a budget hold, say) would leave on two sockets: two writes, two
 * replies, two wake-ups. A store on a real server routes every module's RedisScript through
 * one shared connection instead, with the module's prefix written into the keys, so that
 * scripts issued together travel together (write-coalescing.ts).
 *
 * Kernel-internal: RedisScript reads it; modules keep passing their own `ctx.redis`.
 */
import type { Redis } from 'ioredis';

export interface ScriptRoute {
  /** The shared connection, without a key prefix. */
  readonly client: Redis;
  /** The module client's prefix, prepended to each key by hand. */
  readonly keyPrefix: string;
}

const routes = new WeakMap<Redis, ScriptRoute>();

/** Sends `moduleClient`'s scripts through `route.client`. */
export function routeScripts(moduleClient: Redis, route: ScriptRoute): void {
  routes.set(moduleClient, route);
}

/** The route for a client, or undefined to run on the client itself (embedded store, a dedicated connection). */
export function scriptRouteOf(client: Redis): ScriptRoute | undefined {
  return routes.get(client);
}
