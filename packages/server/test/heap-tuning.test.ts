/**
 * The start path's heap settings: they bound how far the heap grows past what is live, and an
 * operator's own heap flags win.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { tuneHeap } from '../scripts/heap-tuning.mjs';

const tuning = fileURLToPath(new URL('../scripts/heap-tuning.mjs', import.meta.url));

/** Peak heap MB while keeping ~40 MB live and churning garbage, in a fresh node process. */
function peakHeapWhileChurning(tuned: boolean): number {
  const script = `
    ${tuned ? `const { tuneHeap } = await import(${JSON.stringify(tuning)}); tuneHeap({ execArgv: [], nodeOptions: '' });` : ''}
    const { getHeapStatistics } = await import('node:v8');
    const live = [];
    for (let i = 0; i < 300000; i++) live.push({ i, s: 'live' + i });
    let churn = [];
    let peak = 0;
    for (let r = 0; r < 60; r++) {
      for (let i = 0; i < 100000; i++) churn.push({ r, i, s: 'c' + i });
      if (churn.length > 300000) churn = [];
      peak = Math.max(peak, getHeapStatistics().total_heap_size);
    }
    console.log(JSON.stringify({ peak: peak / 1048576, live: live.length }));
  `;
  // Single-threaded GC: on a busy machine, concurrent marking lagging behind the allocation
  // would let the heap overshoot its limit and blur what the limit itself is.
  const result = spawnSync(process.execPath, ['--single-threaded-gc', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  if (result.status !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout).peak;
}

it('keeps the heap near what is live where V8 alone lets it grow far past', () => {
  const untuned = peakHeapWhileChurning(false);
  const tuned = peakHeapWhileChurning(true);
  // Typically about half; V8's own growth depends on how fast it collects, so no absolute bound.
  expect(tuned).toBeLessThan(untuned * 0.65);
}, 60_000);

it('leaves the growth to the operator when they set it with node flags', () => {
  expect(tuneHeap({ execArgv: ['--heap-growing-percent=30'], nodeOptions: '' })).toEqual([]);
  expect(tuneHeap({ execArgv: [], nodeOptions: '--optimize-for-size --enable-source-maps' })).toEqual([]);
  // Sizing the young generation or capping the old one is orthogonal to how fast the old one grows.
  expect(tuneHeap({ execArgv: ['--max-semi-space-size=4'], nodeOptions: '--max-old-space-size=512' })).toEqual(['--heap-growing-percent=50']);
});

it('is off with SCAIGRID_HEAP_TUNING=off (tail latency over memory)', () => {
  expect(tuneHeap({ execArgv: [], nodeOptions: '', setting: 'off' })).toEqual([]);
  expect(tuneHeap({ execArgv: [], nodeOptions: '', setting: undefined })).toEqual(['--heap-growing-percent=50']);
});
