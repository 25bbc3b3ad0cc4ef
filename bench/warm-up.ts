/**
 * @module bench/warm-up
 * Loads a target until V8 has compiled its hot path, so that a measured round measures the
 * code and not the compiler. On the bench machine of 2026-11-29 the gateway's optimizing
 * compiler finished ~880 functions in its first 6 s under load at 16 connections and ~60 more
 * by 9 s (`--trace-opt`), while throughput rose fourfold; the compiler threads run on the
 * gateway's one core, and the page faults of their memory (16 µs each there) were most of the
 * faults the process took. A fixed 2 s warm-up left the first round of each scenario half cold.
 *
 * So a target is loaded in one-second windows until its throughput stops rising: PATIENCE
 * windows in a row (after `minSeconds`) that are not RISE faster than the best one before each
 * end the warm-up, or `maxSeconds` does. A machine whose speed drifts may stop early or late; the
 * report says how long each warm-up took.
 */
import { runLoad, type Target } from './load.js';

/** A window must beat the best before it by this much to count as still warming up. */
export const RISE = 0.03;
/**
 * Windows in a row that must fail to rise before the warm-up ends: one slow window on a noisy
 * machine is not the end of compilation (with one, the gateway's warm-up once ended after 4 s).
 */
export const PATIENCE = 2;

export interface WarmUpOptions {
  minSeconds: number;
  maxSeconds: number;
}

/**
 * A gateway's bounds in the bench, compare.ts and gc-probe.ts. Fewer than PATIENCE + 1 windows
 * never end a warm-up, so the effective minimum is 3 s.
 */
export const GATEWAY_WARM_UP: WarmUpOptions = { minSeconds: 2, maxSeconds: 20 };

/**
 * Whether the windows so far (requests per second, oldest first) call for another one.
 * @example stillWarming([1500, 3100, 3150, 3120], { minSeconds: 2, maxSeconds: 20 }) // false: two windows within 3 % of 3,100
 */
export function stillWarming(rates: readonly number[], options: WarmUpOptions): boolean {
  if (rates.length >= options.maxSeconds) return false;
  if (rates.length < Math.max(PATIENCE + 1, options.minSeconds)) return true;
  for (let i = rates.length - PATIENCE; i < rates.length; i++) {
    if (rates[i]! > Math.max(...rates.slice(0, i)) * (1 + RISE)) return true;
  }
  return false;
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
