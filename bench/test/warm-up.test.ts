/**
 * The warm-up's stopping rule: on while throughput still rises by more than RISE over the best
 * window before, within the minimum and maximum number of one-second windows.
 */
import { expect, it } from 'vitest';
import { stillWarming } from '../warm-up.js';

const bounds = { minSeconds: 2, maxSeconds: 6 };

it('goes on while each window is clearly faster than every one before it', () => {
  expect(stillWarming([1500], bounds)).toBe(true);
  expect(stillWarming([1500, 3100], bounds)).toBe(true);
  expect(stillWarming([1500, 3100, 3300], bounds)).toBe(true);
});

it('stops at the first window within 3 % of the best before it, or slower', () => {
  expect(stillWarming([1500, 3100, 3150], bounds)).toBe(false);
  expect(stillWarming([1500, 3100, 2900], bounds)).toBe(false);
  // The best window counts, not the last: a dip followed by a partial recovery has stopped rising.
  expect(stillWarming([1500, 3100, 2000, 3150], bounds)).toBe(false);
});

it('takes at least the minimum and at most the maximum number of windows', () => {
  expect(stillWarming([3000, 3000], { minSeconds: 4, maxSeconds: 6 })).toBe(true);
  expect(stillWarming([3000, 3000, 3000, 3000], { minSeconds: 4, maxSeconds: 6 })).toBe(false);
  expect(stillWarming([1000, 2000, 3000, 4000, 5000, 6000], bounds)).toBe(false);
  // One window never decides on its own, unless it is the maximum.
  expect(stillWarming([3000], { minSeconds: 1, maxSeconds: 3 })).toBe(true);
  expect(stillWarming([3000], { minSeconds: 1, maxSeconds: 1 })).toBe(false);
});
