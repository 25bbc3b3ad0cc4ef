/**
 * The stage arithmetic of `first-byte-stages.ts` (bench/stages.ts): spans from stamps on one
 * clock, a stage left out of a side whose stamp is missing, percentiles and the table.
 */
import { expect, it } from 'vitest';
import { quantile, stageTable, summarizeStages, type OutsideStamps, type ProxyStamps } from '../stages.js';

/** One probe through a proxy whose every stage took `step` µs. */
function probe(start: number, step: number): { proxy: ProxyStamps; outside: OutsideStamps } {
  const at = (n: number) => start + n * step;
  return {
    outside: { sentUs: at(0), upstreamReceivedUs: at(4), upstreamFirstEventUs: at(5), firstByteUs: at(10) },
    proxy: { requestStart: at(1), upstreamCreate: at(2), upstreamHeadSent: at(2.5), upstreamBodySent: at(3), upstreamHead: at(6), firstWrite: at(7), socketWrite: at(8) },
  };
}

it('takes each stage from the stamps of both sides of the wire', () => {
  const summary = summarizeStages({ proxy: [probe(1_000, 10), probe(5_000, 20), probe(9_000, 30)] });
  const median = (name: string) => summary.find((s) => s.name.startsWith(name))!.sides.proxy![1];
  expect(median('client sends')).toBe(20);
  expect(median('`request` → undici')).toBe(20);
  // The body's write ends the "written" stage when undici reports it, not the head's.
  expect(median('undici → its head and body')).toBe(20);
  expect(median('written → the upstream')).toBe(20);
  expect(median('socket write → the client')).toBe(40);
  expect(median('way in')).toBe(80);
  expect(median('way out')).toBe(100);
  expect(median('first byte')).toBe(200);
});

it('leaves a stage out of a side that has no stamp for it (the direct path has no proxy)', () => {
  const direct = { proxy: {}, outside: probe(0, 10).outside };
  const [first] = summarizeStages({ direct: [direct] });
  expect(first!.sides.direct).toEqual([Number.NaN, Number.NaN, Number.NaN]);
  const table = stageTable(summarizeStages({ direct: [direct] }));
  expect(table).toContain('| client sends → Node’s `request` event | – / – / – |');
  expect(table).toContain('| first byte (client sends → first byte) | 100 / 100 / 100 |');
});

it('reads quantiles by nearest rank', () => {
  expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
  expect(quantile([5, 1, 4, 2, 3], 0.25)).toBe(2);
  expect(quantile([5, 1, 4, 2, 3], 0.75)).toBe(4);
  expect(quantile([], 0.5)).toBeNaN();
});
