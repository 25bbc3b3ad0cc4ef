/**
 * @module budget-ledger
 * Spend and holds per budget window in Redis, through the Lua scripts in ledger-scripts.ts:
 * `reserve` checks every applicable budget and places one hold on all of them, or none;
 * `settle` turns a hold into the actual cost and queues the usage record in the same step, so
 * that a settled spend always has its record. Counters are per window (budget-period.ts).
 */
import type { Redis } from 'ioredis';
import { RedisScript } from '@scaigrid/kernel';
import type { Budget } from './budget-store.js';
import { counterTtlSeconds, periodWindow, type PeriodWindow } from './budget-period.js';
import { RESERVE_SCRIPT, SETTLE_SCRIPT, STATUS_SCRIPT } from './ledger-scripts.js';
import { USAGE_PENDING_KEY } from './usage-queue.js';

type Reply = (string | number)[];

const RESERVE = new RedisScript(RESERVE_SCRIPT);
const SETTLE = new RedisScript(SETTLE_SCRIPT);
const STATUS = new RedisScript(STATUS_SCRIPT);

/** A budget and the window a request counts in (fixed at reservation, so settlement hits the same counter). */
export interface BudgetWindow {
  budget: Budget;
  window: PeriodWindow;
}

export interface BudgetState extends BudgetWindow {
  spentMicros: number;
  heldMicros: number;
}

export type ReserveOutcome = { ok: true } | { ok: false; refusedBy: BudgetState };

function windowKeys({ budget, window }: BudgetWindow): [string, string, string] {
  // One hash tag per window keeps its three keys in one slot on a Redis Cluster.
  const base = `budget:{${budget.id}:${window.id}}`;
  return [base, `${base}:hold-expiry`, `${base}:hold-amount`];
}

export function windowsAt(budgets: readonly Budget[], at: number): BudgetWindow[] {
  return budgets.map((budget) => ({ budget, window: periodWindow(budget.period, at) }));
}

export class BudgetLedger {
  constructor(private readonly redis: Redis) {}

  /** Places `holdMicros` on every window, or on none when one cannot cover it on top of spent + held. */
  async reserve(holdId: string, windows: readonly BudgetWindow[], holdMicros: number, now: number, holdTtlMs: number): Promise<ReserveOutcome> {
    if (windows.length === 0) return { ok: true };
    const keys = windows.flatMap(windowKeys);
    const args = [String(now), String(now + holdTtlMs), holdId];
    for (const w of windows) args.push(String(w.budget.amountMicros), String(holdMicros), String(counterTtlSeconds(w.window, now)));
    const reply = (await RESERVE.run(this.redis, keys, args)) as Reply;
    if (Number(reply[0]) === 1) return { ok: true };
    const refused = windows[Number(reply[1]) - 1]!;
    return { ok: false, refusedBy: { ...refused, spentMicros: Number(reply[2]), heldMicros: Number(reply[3]) } };
  }

  /**
   * Releases the hold, adds `costMicros` to each window's spent and queues `record`, atomically;
   * false when this hold id was settled before (nothing changes then).
   */
  async settle(holdId: string, windows: readonly BudgetWindow[], costMicros: number, record: string, now: number, markerTtlMs: number): Promise<boolean> {
    const keys = [`settled:${holdId}`, USAGE_PENDING_KEY, ...windows.flatMap(windowKeys)];
    const args = [String(now), holdId, String(markerTtlMs), record];
    for (const w of windows) args.push(String(costMicros), String(counterTtlSeconds(w.window, now)));
    return Number(await SETTLE.run(this.redis, keys, args)) === 1;
  }

  /** Current spent and held of each window (expired holds released first). */
  async status(windows: readonly BudgetWindow[], now: number): Promise<BudgetState[]> {
    if (windows.length === 0) return [];
    const keys = windows.flatMap(windowKeys);
    const reply = (await STATUS.run(this.redis, keys, [String(now)])) as number[];
    return windows.map((w, i) => ({ ...w, spentMicros: Number(reply[2 * i]), heldMicros: Number(reply[2 * i + 1]) }));
  }
}
