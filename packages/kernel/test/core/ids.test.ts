import { decodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import { newUlid, pooledRandom } from '../../src/index.js';

describe('newUlid', () => {
  it('makes valid, time-ordered, distinct ULIDs', () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5);
    const id = newUlid(at);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(decodeTime(id)).toBe(at);
    expect(newUlid(at + 1) > newUlid(at)).toBe(true);
    const many = new Set(Array.from({ length: 10_000 }, () => newUlid()));
    expect(many.size).toBe(10_000);
  });

  it('keeps the time part of ids made in one millisecond and draws every character of the alphabet at random', () => {
    const at = Date.UTC(2026, 10, 30, 12);
    const ids = Array.from({ length: 5_000 }, () => newUlid(at));
    expect(new Set(ids.map((id) => id.slice(0, 10)))).toEqual(new Set([newUlid(at).slice(0, 10)]));
    expect(new Set(ids).size).toBe(5_000);
    // 80,000 random characters: each of the 32 appears ~2,500 times when the draw is uniform.
    const counts = new Map<string, number>();
    for (const id of ids) for (const ch of id.slice(10)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(32);
    for (const n of counts.values()) expect(Math.abs(n - 2_500)).toBeLessThan(400);
    // Another time in between does not leak into the next id of the first.
    expect(decodeTime(newUlid(at + 86_400_000))).toBe(at + 86_400_000);
    expect(decodeTime(newUlid(at))).toBe(at);
  });

  it('refuses a time a ULID cannot hold', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 48]) expect(() => newUlid(bad)).toThrow(RangeError);
    expect(decodeTime(newUlid(0))).toBe(0);
  });

  it('draws from a pool that refills: values stay in [0, 1) and vary past the pool size', () => {
    const next = pooledRandom(16);
    const values = Array.from({ length: 64 }, () => next());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(new Set(values.slice(16, 32)).size).toBeGreaterThan(4);
  });
});
