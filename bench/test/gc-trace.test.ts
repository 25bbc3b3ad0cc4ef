import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { gcBetween, gcTotals } from '../gc-trace.js';

// Shortened from real `node --trace-gc-nvp` output (Node 20).
const SCAVENGE = '[13501:0x1964aca0]    23201 ms: pause=2.7 mutator=41.8 gc=s reduce_memory=0 time_to_safepoint=0.00 scavenge=2.60 allocated=14864176 promoted=1000 new_space_survived=1217504 nodes_promoted=0 promotion_ratio=0.0%';
const FULL = '[13501:0x1964aca0]    23465 ms: pause=7.3 mutator=52.7 gc=mc reduce_memory=0 heap.prologue=0.00 mark=0.2 allocated=2000 promoted=500 nodes_promoted=3';

describe('gcTotals', () => {
  it('adds up young and full collections, ignoring other output and cut-off lines', () => {
    const totals = gcTotals(['listening 1234', SCAVENGE, FULL, SCAVENGE, '[1:0x1]  1 ms: pause=1.0 mutator=2 gc=s allocated=99'].join('\n'));
    expect(totals).toEqual({ young: 2, full: 1, allocatedBytes: 2 * 14864176 + 2000, promotedBytes: 2500, pauseMs: expect.closeTo(12.7, 5) });
  });

  it('takes a field by its own name, not a longer one ending in it (nodes_promoted)', () => {
    expect(gcTotals(FULL).promotedBytes).toBe(500);
  });

  it('reads the lines this node prints', () => {
    // Allocates enough to force collections in a child node with the flag.
    const out = execFileSync(process.execPath, ['--trace-gc-nvp', '-e', 'let a = []; for (let i = 0; i < 3e5; i++) { a.push({ i }); if (a.length > 1e4) a = []; }'], { encoding: 'utf8' });
    const totals = gcTotals(out);
    expect(totals.young).toBeGreaterThan(0);
    expect(totals.allocatedBytes).toBeGreaterThan(0);
  });

  it('gives the difference between two readings', () => {
    const a = gcTotals(SCAVENGE);
    const b = gcTotals([SCAVENGE, FULL].join('\n'));
    expect(gcBetween(a, b)).toEqual({ young: 0, full: 1, allocatedBytes: 2000, promotedBytes: 500, pauseMs: expect.closeTo(7.3, 5) });
  });
});
