import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { gcBetween, gcTotals, GcTally } from '../gc-trace.js';

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

describe('GcTally', () => {
  it('counts the collections of a stream of output and passes the rest on, lines split across chunks included', () => {
    const tally = new GcTally();
    const text = ['listening 1234', SCAVENGE, '{"level":40,"msg":"a log line"}', FULL, ''].join('\n');
    let rest = '';
    // In chunks of 7 characters: every line arrives in pieces.
    for (let i = 0; i < text.length; i += 7) rest += tally.feed(text.slice(i, i + 7));
    expect(rest).toBe('listening 1234\n{"level":40,"msg":"a log line"}\n');
    expect(tally.read()).toEqual(gcTotals([SCAVENGE, FULL].join('\n')));
  });

  it('keeps a line without its end until the end comes', () => {
    const tally = new GcTally();
    expect(tally.feed(SCAVENGE)).toBe('');
    expect(tally.read().young).toBe(0);
    tally.feed('\n');
    expect(tally.read()).toMatchObject({ young: 1, allocatedBytes: 14864176 });
  });

  it('gives a copy: a reading does not change as more output comes', () => {
    const tally = new GcTally();
    const before = tally.read();
    tally.feed(`${SCAVENGE}\n`);
    expect(before.young).toBe(0);
    expect(gcBetween(before, tally.read()).allocatedBytes).toBe(14864176);
  });
});
