/**
 * @module budget-period
 * Budget periods on UTC boundaries: a daily budget resets at 00:00 UTC, a monthly one on the
 * first of the month at 00:00 UTC, a total one never. Each period window has a stable id
 * (`d2025-03-07`, `m2025-03`, `total`) that names its Redis counter, so a new window simply
 * starts a fresh counter and the old one expires by itself.
 */
import type { BudgetPeriod } from './config.js';

export interface PeriodWindow {
  /** Names the window's counter: `d2025-03-07`, `m2025-03`, `total`. */
  id: string;
  /** Epoch ms of the window start (0 for total). */
  start: number;
  /** Epoch ms of the window end (exclusive); null for total. */
  end: number | null;
}

/**
 * @example periodWindow('monthly', Date.UTC(2025, 1, 14)) // { id: 'm2025-02', start: Date.UTC(2025, 1, 1), end: Date.UTC(2025, 2, 1) }
 */
export function periodWindow(period: BudgetPeriod, at: number): PeriodWindow {
  const d = new Date(at);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (period === 'daily') {
    const start = Date.UTC(y, m, d.getUTCDate());
    return { id: `d${new Date(start).toISOString().slice(0, 10)}`, start, end: start + 86_400_000 };
  }
  if (period === 'monthly') {
    const start = Date.UTC(y, m, 1);
    return { id: `m${new Date(start).toISOString().slice(0, 7)}`, start, end: Date.UTC(y, m + 1, 1) };
  }
  return { id: 'total', start: 0, end: null };
}

/**
 * Seconds a window's counter must outlive `at`: to the window's end plus a day of grace (late
 * settlements and status reads), or 0 for "never expire".
 */
export function counterTtlSeconds(window: PeriodWindow, at: number): number {
  if (window.end === null) return 0;
  return Math.ceil((window.end - at) / 1000) + 86_400;
}
