/**
 * @module server/scripts/heap-tuning
 * How the `scaigrid` process sizes its V8 heap. V8's default lets the old generation grow, after
 * each full collection, to up to four times what was live: a gateway with ~40 MB live sat at
 * ~145 MB of heap after a load run, most of it garbage that no collection was forced to free.
 * Growing by 20% instead collected it sooner, for some more (incremental, mostly concurrent)
 * major collections: in the benchmark, RSS after load 239 -> 155 MB for about +15 µs of GC
 * per request. It is 50% since 2026-11-29: with the young generation capped (package.json's
 * start script), there was room to trade a little memory back for fewer major collections.
 * bench/compare.ts against 20% (16 connections, 3 process pairs, non-stream / stream):
 *   50%:  CPU per request −3.0 / −2.9 %, p99 5.3 → 4.5 / 26.7 → 23.8 ms, RSS after +2-4 MB
 *   70%:  CPU −2.3 / −6.2 %, p99 5.3 → 4.0 / 25.7 → 17.3 ms, RSS +7 MB
 *   100%: CPU −6.0 / −9.2 %, p99 5.6 → 4.5 / 25.3 → 12.1 ms, RSS +16 MB (121 MB, past the 120 MB goal)
 * In V8's formula the limit is at least live + 8 MB, plus the young generation's size, whatever
 * the factor: for the gateway's ~20 MB live, factors below ~40% all come to the same limit.
 *
 * The growing factor is a heuristic V8 reads at every collection, so setting it from the running
 * process (`v8.setFlagsFromString`) works as if it had been given on the command line, which
 * `node packages/server/scripts/start.mjs` does not allow. An operator's own
 * `--heap-growing-percent` (NODE_OPTIONS or the command line) wins.
 *
 * The young generation's cap is not set here: V8 sizes it once, when the isolate starts, and a
 * flag set later does nothing. `pnpm start` gives it on node's command line
 * (`--max-semi-space-size=8`, see package.json and docs/operations.md "Memory").
 *
 * It is applied once the server is serving: during the boot the heap only grows, and a tight
 * growth factor there meant a major collection every few MB (+150-250 ms CPU to /ready).
 *
 * @example
 * import { tuneHeap } from './heap-tuning.mjs';
 * await import(serverEntry); // resolves once the server listens
 * tuneHeap();
 */
import { setFlagsFromString } from 'node:v8';

/** Old generation limit after a full GC: live size × 1.5 instead of V8's up to × 4. */
export const HEAP_GROWING_PERCENT = 50;

const OPERATOR_GROWTH_FLAGS = /--(heap-growing-percent|optimize-for-size)\b/;

/**
 * Applies the gateway's heap settings unless the operator chose their own, or turned them off
 * with `SCAIGRID_HEAP_TUNING=off`; returns the flags set. The trade against V8's default
 * (bench, 16 and 64 connections, measured with 20%): about 50 MB less RSS after a load run, for
 * a worse p99 at saturation (more major collections).
 * @param {{ execArgv?: readonly string[], nodeOptions?: string, setting?: string }} [from] where operator flags would be (default: this process)
 * @returns {string[]}
 */
export function tuneHeap({ execArgv = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? '', setting = process.env.SCAIGRID_HEAP_TUNING } = {}) {
  if (setting === 'off') return [];
  if ([...execArgv, nodeOptions].some((arg) => OPERATOR_GROWTH_FLAGS.test(arg))) return [];
  const flags = [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`];
  for (const flag of flags) setFlagsFromString(flag);
  return flags;
}
