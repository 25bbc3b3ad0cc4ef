/**
 * @module ids
 * ULIDs for the request path. The `ulid` package's default PRNG asks the OS for one random
 * byte per character (16 `getRandomValues` calls per id); under load that was the single
 * hottest frame of the gateway (over 10 % of its CPU for one id per request). This draws the
 * same secure random bytes from a pooled buffer instead. Same format, same sort order.
 */
import { randomFillSync } from 'node:crypto';
import { ulid } from 'ulid';

/** A PRNG (`() => [0, 1)`) over a pool of secure random bytes, refilled when used up. */
export function pooledRandom(poolBytes = 4096): () => number {
  const pool = Buffer.allocUnsafe(poolBytes);
  let next = poolBytes;
  return () => {
    if (next === poolBytes) {
      randomFillSync(pool);
      next = 0;
    }
    return pool[next++]! / 256;
  };
}

const prng = pooledRandom();

/**
 * A new ULID; `time` (epoch ms) defaults to now.
 * @example newUlid() // '01J9Z3…' (26 characters)
 */
export function newUlid(time?: number): string {
  return ulid(time, prng);
}
