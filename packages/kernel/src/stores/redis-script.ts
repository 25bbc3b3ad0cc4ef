/**
 * @module stores/redis-script
 * A Lua script run by its SHA-1 (EVALSHA), sent whole (EVAL) only when the server does not
 * have it cached yet (a new server, a restart, SCRIPT FLUSH). The keys go through the client's
 * key prefix like any other command's.
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
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      // NOSCRIPT means nothing ran, so sending the whole script instead is safe; EVAL also
      // caches it on the server for the next EVALSHA.
      if (!isNoScript(err)) throw err;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}
