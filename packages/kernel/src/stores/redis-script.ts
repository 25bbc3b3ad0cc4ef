/**
 * @module stores/redis-script
 * A Lua script run by its SHA-1 (EVALSHA), sent whole (EVAL) only when the server does not
 * have it cached yet (a new server, a restart, SCRIPT FLUSH). The keys get the client's key
 * prefix like any other command's. Scripts of all modules share one connection on a real
 * server, so a module should await a write before it runs a script that must see it (two
 * connections do not order each other's commands).
 *
 * Why not ioredis's `defineCommand`: every script defined on a client is copied onto each
 * pipeline that client opens, and with auto-pipelining that is one pipeline per event-loop
 * turn. The benchmark's allocation profile put those copies (and the script command objects)
 * at about half of all garbage that lived long enough to reach the old generation: about
 * 30 KB per request at one connection, so a 5 ms scavenge every ~60 requests. A plain
 * EVALSHA is an ordinary command and adds nothing to the pipeline.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { scriptRouteOf } from './script-route.js';
import { atTurnFlush } from './write-coalescing.js';

type Arg = string | number;

export class RedisScript {
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /**
   * Runs the script with `keys` (prefixed by the client) and `args`.
   * @example const reply = await script.run(ctx.redis, ['counter'], [60_000]);
   */
  async run(redis: Redis, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    // A module client of a real server sends its scripts on the store's shared script
    // connection, with its prefix written into the keys (script-route.ts says why).
    const route = scriptRouteOf(redis);
    const client = route?.client ?? redis;
    const fullKeys = route ? keys.map((key) => route.keyPrefix + key) : keys;
    try {
      return await client.evalsha(this.sha, fullKeys.length, ...fullKeys, ...args);
    } catch (err) {
      // NOSCRIPT means nothing ran, so sending the whole script instead is safe; EVAL also
      // caches it on the server for the next EVALSHA.
      if (!isNoScript(err)) throw err;
      return client.eval(this.lua, fullKeys.length, ...fullKeys, ...args);
    }
  }
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

/**
 * Runs `writer` just before the scripts `redis` sends in this turn of the event loop leave, when
 * its script connection holds the turn's writes (replies are pending: it is busy); returns
 * false, and runs nothing, when a script sent now would go out at once (the caller sends it
 * now). For a module that joins the calls of one turn into one script call, as the accounting
 * joins its settlements: sent from `writer`, the joined call leaves in the turn's one write.
 * @example if (!atScriptFlush(ctx.redis, () => sendJoined())) sendAlone();
 */
export function atScriptFlush(redis: Redis, writer: () => void): boolean {
  const client = scriptRouteOf(redis)?.client ?? redis;
  return atTurnFlush(client.stream, writer);
}
