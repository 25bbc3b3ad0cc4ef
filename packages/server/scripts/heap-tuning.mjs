/**
 * @module server/scripts/heap-tuning
 * How the `scaigrid` process sizes its V8 heap. V8's defaults suit a browser tab or a short
 * script: after each full collection the old generation may grow to several times what was
 * live, so a gateway whose live heap is ~40 MB sat at ~145 MB of heap after a load run, most
 * of it garbage waiting for a collection that the limit never forced; and the young generation
 * grows to 32 MB, all of it resident. A smaller growing factor collects the old garbage sooner,
 * for a few more (incremental, mostly concurrent) major collections, and a young generation
 * capped at 8 MB costs more, shorter scavenges (numbers in the commit that added this file).
 *
 * Both knobs are V8 heuristics read at every collection, so setting them from the running
 * process (`v8.setFlagsFromString`) works as if they had been given on the command line, which
 * `node packages/server/scripts/start.mjs` does not allow (`--max-semi-space-size` is read only
 * when the heap is created, hence the growth factor below). An operator who sizes the heap
 * with node flags (NODE_OPTIONS or the command line) keeps exactly what they asked for.
 *
 * @example
 * import { tuneHeap } from './heap-tuning.mjs';
 * tuneHeap(); // before the server is imported
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** Old generation limit after a full GC: live size × 1.2 instead of V8's up to × 4. */
export const HEAP_GROWING_PERCENT = 20;
/**
 * Both semi-spaces of the young generation together, in MB. V8 lets them grow to 32, which the
 * gateway's boot alone reaches; 8 holds what lives across a request or two while it is in flight.
 */
export const YOUNG_GENERATION_MB = 8;

const OPERATOR_HEAP_FLAGS = /--(max-old-space-size|max-semi-space-size|max-heap-size|heap-growing-percent|semi-space-growth-factor|optimize-for-size)\b/;

/**
 * Applies the gateway's heap settings unless the operator chose their own; returns the flags set.
 * @param {{ execArgv?: readonly string[], nodeOptions?: string }} [from] where operator flags would be (default: this process)
 * @returns {string[]}
 */
export function tuneHeap({ execArgv = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? '' } = {}) {
  if ([...execArgv, nodeOptions].some((arg) => OPERATOR_HEAP_FLAGS.test(arg))) return [];
  const flags = [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`];
  for (const flag of flags) setFlagsFromString(flag);
  capYoungGeneration(YOUNG_GENERATION_MB * 1024 * 1024);
  return flags;
}

/**
 * `--max-semi-space-size` is read only when the heap is created; what can change later is the
 * factor by which V8 grows the young generation after a scavenge. It starts at 2 MB (two 1 MB
 * semi-spaces); the factor is chosen so that one growth reaches `bytes`, and set to 1 (no more
 * growth) when the next GC is observed. Observations arrive between event-loop turns, so a
 * long synchronous burst could grow it once more, to V8's usual maximum.
 */
function capYoungGeneration(bytes) {
  const youngSize = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  const initial = Math.max(youngSize(), 2 * 1024 * 1024);
  setFlagsFromString(`--semi-space-growth-factor=${Math.max(1, Math.round(bytes / initial))}`);
  const observer = new PerformanceObserver(() => {
    if (youngSize() < bytes) return;
    setFlagsFromString('--semi-space-growth-factor=1');
    observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}
