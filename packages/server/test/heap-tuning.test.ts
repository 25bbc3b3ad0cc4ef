/**
 * The start path's heap settings: they bound how far the heap grows past what is live, and an
 * operator's own heap flags win.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { tuneHeap, YOUNG_GENERATION_MB } from '../scripts/heap-tuning.mjs';

const tuning = fileURLToPath(new URL('../scripts/heap-tuning.mjs', import.meta.url));

/** Peak heap and final young generation MB while keeping ~40 MB live and churning garbage, in a fresh node process. */
function heapWhileChurning(tuned: boolean): { peak: number; young: number } {
  const script = `
    ${tuned ? `const { tuneHeap } = await import(${JSON.stringify(tuning)}); tuneHeap({ execArgv: [], nodeOptions: '' });` : ''}
    const { getHeapStatistics, getHeapSpaceStatistics } = await import('node:v8');
    const live = [];
    for (let i = 0; i < 300000; i++) {
      live.push({ i, s: 'live' + i });
      // A server's work comes in event-loop turns; the young generation cap is applied between them.
      if (i % 10000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    let churn = [];
    let peak = 0;
    for (let r = 0; r < 60; r++) {
      for (let i = 0; i < 100000; i++) churn.push({ r, i, s: 'c' + i });
      if (churn.length > 300000) churn = [];
      peak = Math.max(peak, getHeapStatistics().total_heap_size);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    console.log(JSON.stringify({ peak: peak / 1048576, young: young / 1048576, live: live.length }));
  `;
  // Single-threaded GC: on a busy machine, concurrent marking lagging behind the allocation
  // would let the heap overshoot its limit and blur what the limit itself is.
  const result = spawnSync(process.execPath, ['--single-threaded-gc', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout);
}

it('keeps the heap near what is live where V8 alone lets it grow far past', () => {
  const untuned = heapWhileChurning(false);
  const tuned = heapWhileChurning(true);
  // Typically about half; V8's own growth depends on how fast it collects, so no absolute bound.
  expect(tuned.peak).toBeLessThan(untuned.peak * 0.65);
  expect(untuned.young).toBeGreaterThan(YOUNG_GENERATION_MB);
  expect(tuned.young).toBeLessThanOrEqual(YOUNG_GENERATION_MB);
}, 60_000);

it('leaves the heap alone when the operator sized it with node flags', () => {
  expect(tuneHeap({ execArgv: ['--max-old-space-size=512'], nodeOptions: '' })).toEqual([]);
  expect(tuneHeap({ execArgv: [], nodeOptions: '--max-semi-space-size=8 --enable-source-maps' })).toEqual([]);
  expect(tuneHeap({ execArgv: ['--enable-source-maps'], nodeOptions: '' })).toEqual(['--heap-growing-percent=20']);
});
