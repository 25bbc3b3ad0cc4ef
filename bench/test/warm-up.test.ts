/**
 * The warm-up's stopping rule: on while throughput still rises by more than RISE over the best
 * window before, until PATIENCE windows in a row do not, within the minimum and maximum number
 * of one-second windows.
 */
import { expect, it } from 'vitest';
import { stillWarming } from '../warm-up.js';

const bounds = { minSeconds: 2, maxSeconds: 8 };

it('goes on while the windows still rise clearly above every one before them', () => {
  expect(stillWarming([1500], bounds)).toBe(true);
  expect(stillWarming([1500, 3100], bounds)).toBe(true);
  expect(stillWarming([1500, 3100, 3300], bounds)).toBe(true);
  // One window that does not rise is not the end: the next may (compilation goes on).
  expect(stillWarming([1500, 3100, 3000], bounds)).toBe(true);
  expect(stillWarming([1500, 3100, 3000, 3600], bounds)).toBe(true);
});

it('stops after two windows in a row within 3 % of the best before them, or slower', () => {
  expect(stillWarming([1500, 3100, 3150, 3120], bounds)).toBe(false);
  expect(stillWarming([1500, 3100, 2900, 2800], bounds)).toBe(false);
  // Measured against the best before each window, not the one just before: a dip followed by a
  // partial recovery has not risen.
  expect(stillWarming([1500, 3100, 2000, 3150], bounds)).toBe(false);
});

it('takes at least the minimum and at most the maximum number of windows', () => {
  expect(stillWarming([3000, 3000, 3000], { minSeconds: 5, maxSeconds: 8 })).toBe(true);
  expect(stillWarming([3000, 3000, 3000, 3000, 3000], { minSeconds: 5, maxSeconds: 8 })).toBe(false);
  expect(stillWarming([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000], bounds)).toBe(false);
  // Fewer windows than it takes to judge never decide on their own, unless they are the maximum.
  expect(stillWarming([3000, 3000], { minSeconds: 1, maxSeconds: 3 })).toBe(true);
  expect(stillWarming([3000], { minSeconds: 1, maxSeconds: 1 })).toBe(false);
});
