/**
 * @module bench/warm-up
 * Loads a target until V8 has compiled its hot path, so that a measured round measures the
 * code and not the compiler. On the bench machine of 2026-11-29 the gateway's optimizing
 * compiler finished ~880 functions in its first 6 s under load at 16 connections and ~60 more
 * by 9 s (`--trace-opt`), while throughput rose fourfold; the compiler threads run on the
 * gateway's one core, and the page faults of their memory (16 µs each there) were most of the
 * faults the process took. A fixed 2 s warm-up left the first round of each scenario half cold.
 *
 * So a target is loaded in one-second windows until its throughput stops rising: the first
 * window (after `minSeconds`) that is not RISE faster than the best one before it ends the
 * warm-up, or `maxSeconds` does. A machine whose speed drifts may stop early or late; the
 * report says how long each warm-up took.
 */
import { runLoad, type Target } from './load.js';

/** A window must beat the best before it by this much to count as still warming up. */
export const RISE = 0.03;

export interface WarmUpOptions {
  minSeconds: number;
  maxSeconds: number;
}

/**
 * Whether the windows so far (requests per second, oldest first) call for another one.
 * @example stillWarming([1500, 3100, 3200], { minSeconds: 2, maxSeconds: 20 }) // false: 3,200 is within 3 % of 3,100
 */
export function stillWarming(rates: readonly number[], options: WarmUpOptions): boolean {
  if (rates.length >= options.maxSeconds) return false;
  if (rates.length < Math.max(2, options.minSeconds)) return true;
  const best = Math.max(...rates.slice(0, -1));
  return rates.at(-1)! > best * (1 + RISE);
}

/** Warms `target` up with `body` at `connections`; resolves with the seconds it took. */
export async function warmUp(target: Target, body: string, connections: number, options: WarmUpOptions): Promise<number> {
  const rates: number[] = [];
  do {
    const load = await runLoad(target, body, connections, 1);
    rates.push(load.ok / load.seconds);
  } while (stillWarming(rates, options));
  return rates.length;
}
