import { describe, expect, it } from 'vitest';
import { orderCandidates } from '../src/candidate-order.js';
import { formatPriceMicros, parsePriceMicros } from '../src/money.js';

/** mulberry32: a tiny seeded PRNG so the distribution test is reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const b = (id: string, priority: number, weight: number) => ({ id, priority, weight });

describe('orderCandidates', () => {
  it('one backend: itself under either policy, in a copy, without drawing a random number', () => {
    const input = [b('only', 1, 0)];
    const random = () => {
      throw new Error('no draw for one backend');
    };
    for (const policy of ['priority', 'weighted'] as const) {
      const order = orderCandidates(policy, input, random);
      expect(order).toEqual(input);
      expect(order).not.toBe(input);
    }
    expect(orderCandidates('weighted', [], random)).toEqual([]);
  });

  it('priority: ascending priority, ties by weight descending then id', () => {
    const order = orderCandidates('priority', [b('d', 2, 9), b('b', 1, 1), b('c', 1, 5), b('a', 1, 1)], seeded(1));
    expect(order.map((x) => x.id)).toEqual(['c', 'a', 'b', 'd']);
  });

  it('priority ignores the random source', () => {
    const input = [b('x', 3, 1), b('y', 0, 1)];
    expect(orderCandidates('priority', input, () => 0.99).map((x) => x.id)).toEqual(['y', 'x']);
    expect(orderCandidates('priority', input, () => 0).map((x) => x.id)).toEqual(['y', 'x']);
  });

  it('weighted: first pick follows the weights; weight 0 is never first', () => {
    const random = seeded(42);
    const firsts = new Map<string, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const first = orderCandidates('weighted', [b('heavy', 5, 6), b('light', 0, 3), b('tiny', 0, 1), b('off', 0, 0)], random)[0].id;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    expect(firsts.get('off')).toBeUndefined();
    expect(firsts.get('heavy')! / n).toBeCloseTo(0.6, 1);
    expect(firsts.get('light')! / n).toBeCloseTo(0.3, 1);
    expect(firsts.get('tiny')! / n).toBeCloseTo(0.1, 1);
  });

  it('weighted: after the pick, the rest by weight descending, then priority, then id', () => {
    // random 0.99 of total 10 lands in the last positive weight ('tiny').
    const order = orderCandidates('weighted', [b('off', 0, 0), b('tiny', 0, 1), b('light-b', 2, 3), b('light-a', 1, 3), b('heavy', 5, 6)], () => 0.99);
    expect(order.map((x) => x.id)).toEqual(['tiny', 'heavy', 'light-a', 'light-b', 'off']);
    const first = orderCandidates('weighted', [b('tiny', 0, 1), b('heavy', 5, 6)], () => 0);
    expect(first.map((x) => x.id)).toEqual(['heavy', 'tiny']);
  });

  it('weighted with all weights 0 falls back to the sorted order', () => {
    expect(orderCandidates('weighted', [b('b', 2, 0), b('a', 1, 0)], () => 0.5).map((x) => x.id)).toEqual(['a', 'b']);
  });
});

describe('money', () => {
  it('parses decimal strings and numbers exactly into micro-units', () => {
    expect(parsePriceMicros('2.5')).toBe(2_500_000);
    expect(parsePriceMicros('0.000001')).toBe(1);
    expect(parsePriceMicros(0.15)).toBe(150_000);
    expect(parsePriceMicros('999999999.999999')).toBe(999_999_999_999_999);
    expect(parsePriceMicros('0')).toBe(0);
  });

  it('rejects what it cannot store exactly', () => {
    for (const bad of ['1.0000001', '1000000000', '-1', '1e-7', 'abc', '', 1e-7, Number.NaN, '1,5']) expect(parsePriceMicros(bad)).toBeUndefined();
  });

  it('formats micro-units back to the shortest exact decimal', () => {
    expect(formatPriceMicros(2_500_000)).toBe('2.5');
    expect(formatPriceMicros(1)).toBe('0.000001');
    expect(formatPriceMicros(150)).toBe('0.00015');
    expect(formatPriceMicros(10_000_000)).toBe('10');
    expect(formatPriceMicros(parsePriceMicros('987654.321098')!)).toBe('987654.321098');
  });
});
