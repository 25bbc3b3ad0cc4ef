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

  it('draws from a pool that refills: values stay in [0, 1) and vary past the pool size', () => {
    const next = pooledRandom(16);
    const values = Array.from({ length: 64 }, () => next());
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(new Set(values.slice(16, 32)).size).toBeGreaterThan(4);
  });
});
