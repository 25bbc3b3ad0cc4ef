/**
 * @module budget-ledger
 * Spend and holds per budget window in Redis, through the Lua scripts in ledger-scripts.ts:
 * `reserve` checks every applicable budget and places one hold on all of them, or none;
 * `settle` turns a hold into the actual cost and queues the usage record in the same step, so
 * that a settled spend always has its record. Counters are per window (budget-period.ts).
 * Under load the settles of one turn of the event loop join one step: the window is read and
 * written once for all of them (at 64 connections, the Redis server's CPU per request −45 %).
 *
 * Most requests skip `reserve`: `draw` admits them on this instance's lease credit, from
 * memory (budget-lease.ts says why that cannot over-book a budget), and each settle asks for
 * the credit to be topped up. `reserve` — the slow path, one Redis round trip before the
 * request goes upstream — is for a request the credit does not cover; it hands the credit back
 * first, so one instance alone can still spend its budget to the last micro-unit. A request
 * the credit falls short for while a settle's top-up is on its way waits for that instead.
 */
import type { Redis } from 'ioredis';
import { atScriptFlush, RedisScript } from '@scaigrid/kernel';
import type { Budget } from './budget-store.js';
import { counterTtlSeconds, periodWindow, type PeriodWindow } from './budget-period.js';
import { LeaseCredits, type LeaseOptions } from './budget-lease.js';
import { RESERVE_SCRIPT, RETURN_CREDIT_SCRIPT, SETTLE_SCRIPT, STATUS_SCRIPT } from './ledger-scripts.js';
import { USAGE_PENDING_KEY } from './usage-queue.js';

type Reply = (string | number)[];

const RESERVE = new RedisScript(RESERVE_SCRIPT);
const SETTLE = new RedisScript(SETTLE_SCRIPT);
const STATUS = new RedisScript(STATUS_SCRIPT);
const RETURN_CREDIT = new RedisScript(RETURN_CREDIT_SCRIPT);

/** A budget and the window a request counts in (fixed at reservation, so settlement hits the same counter). */
export interface BudgetWindow {
  budget: Budget;
  window: PeriodWindow;
  /** The window's key base in Redis, also this instance's credit key; made once per request. */
  key: string;
}

export interface BudgetState extends BudgetWindow {
  spentMicros: number;
  /** Holds of requests admitted through `reserve`, while they run. */
  heldMicros: number;
  /** Set aside by gateway instances' leases: their credit and the requests running on it. */
  leasedMicros: number;
}

/**
 * Settled markers go in one Redis set per second of settling: `settled:<second>`, a member per
 * request, the set kept until the marker TTL after the last settle that touched it. A retry
 * names the second of the first attempt (`SettleLease.markedAt`), so it finds its marker. A
 * second, not a minute: Redis frees an expired set in one go, and at 10,000 requests a second
 * a minute's set would be 600,000 members to free at once (a 10,000-member set took 0.5-3 ms
 * here), where a key per request expired a little at a time.
 */
const MARKER_SET_MS = 1000;

/** The set a request's settled marker goes in, by when its settle was first tried. */
export function markerSetKey(markedAt: number): string {
  return `settled:${Math.floor(markedAt / MARKER_SET_MS)}`;
}

/** Until when the marker sets a settle at `now` touches must live: at least `markerTtlMs` more. */
function markersUntil(now: number, markerTtlMs: number): number {
  return (Math.floor(now / MARKER_SET_MS) + 1) * MARKER_SET_MS + markerTtlMs;
}

/** How a settling request was admitted (on lease credit, `drawnMicros` > 0, or with a hold of its own), and when its settle was first tried. */
export interface SettleLease {
  /** The worst case drawn from the credit at admission; 0 for a request with its own hold. */
  drawnMicros: number;
  /** The request's worst case, which sizes the credit asked for. */
  worstCaseMicros: number;
  /** `BudgetLedger.generation` when the request was admitted. */
  generation: number;
  /** When its settle was first tried: a retry gives the same, and so finds the marker of an attempt whose reply was lost. */
  markedAt: number;
}

export type ReserveOutcome = { ok: true } | { ok: false; refusedBy: BudgetState };

/** A settle waiting for its turn's call. */
interface SettleRequest {
  holdId: string;
  markedAt: number;
  costMicros: number;
  drawnMicros: number;
  record: string;
  /** What it asked for, per window (LeaseCredits.ask). */
  asks: number[];
  resolve(settled: boolean): void;
  reject(err: unknown): void;
}

/** Settles of one turn on the same windows, sent as one call. */
interface SettleGroup {
  windows: readonly BudgetWindow[];
  bases: string[];
  markerTtlMs: number;
  /** The first request's settle time: the call's `now`. */
  now: number;
  requests: SettleRequest[];
}

/** At most this many requests to one call: each adds a key, four arguments and an RPUSH value. */
const MAX_JOINED = 256;

/**
 * Each window's three keys, in the order the ledger's scripts take them, pushed onto `into`. A
 * loop, not `flatMap`: V8 runs `flatMap` through its generic path, ~400 ns for one window
 * against ~35, and the settle of every request makes this list (bench/README "Hot lines").
 */
function pushKeys(into: string[], bases: Iterable<string>): string[] {
  for (const base of bases) into.push(base, `${base}:hold-expiry`, `${base}:hold-amount`);
  return into;
}
const keyOf = (w: BudgetWindow) => w.key;
const groupKey = (generation: number, bases: readonly string[]) => `${generation} ${bases.join(' ')}`;

/**
 * Each budget's window as last worked out, reused while `at` falls in it: the window and its key
 * are the same for every request of a day or month, and working them out (dates formatted into
 * the window id and the key) was ~1.4 % of a whole answer's CPU in the bench's profile. Keyed by
 * the budget object, so a reloaded catalog starts afresh.
 */
const currentWindows = new WeakMap<Budget, BudgetWindow>();

export function windowsAt(budgets: readonly Budget[], at: number): BudgetWindow[] {
  return budgets.map((budget) => {
    const known = currentWindows.get(budget);
    if (known && at >= known.window.start && (known.window.end === null || at < known.window.end)) return known;
    const window = periodWindow(budget.period, at);
    // One hash tag per window keeps its three keys in one slot on a Redis Cluster.
    const current = { budget, window, key: `budget:{${budget.id}:${window.id}}` };
    currentWindows.set(budget, current);
    return current;
  });
}

export class BudgetLedger {
  private readonly credits: LeaseCredits;
  /** This turn's open settle groups, by generation and their windows' keys. */
  private readonly joining = new Map<string, SettleGroup>();

  constructor(
    private readonly redis: Redis,
    private readonly lease: LeaseOptions,
  ) {
    this.credits = new LeaseCredits(lease);
  }

  /** Changes when the budgets change (`retire`); a request keeps the one it was admitted under. */
  get generation(): number {
    return this.credits.generation;
  }

  /** Admits on this instance's credit, from memory: true when every window's credit covered `holdMicros` (now drawn from each). */
  draw(windows: readonly BudgetWindow[], holdMicros: number): boolean {
    return this.credits.draw(windows.map(keyOf), holdMicros);
  }

  /** When the credit falls short but a top-up is on its way on each window that does: its answer (budget-lease.ts, `topUpComing`). */
  topUpComing(windows: readonly BudgetWindow[], holdMicros: number): Promise<void> | undefined {
    return this.credits.topUpComing(windows.map(keyOf), holdMicros);
  }

  /**
   * Places `holdMicros` on every window, or on none when one cannot cover it on top of spent,
   * held and leased. Hands this instance's credit on those windows back first.
   */
  async reserve(holdId: string, windows: readonly BudgetWindow[], holdMicros: number, now: number, holdTtlMs: number): Promise<ReserveOutcome> {
    if (windows.length === 0) return { ok: true };
    const bases = windows.map(keyOf);
    const keys = pushKeys([], bases);
    const returned = this.credits.take(bases);
    const args = [String(now), String(now + holdTtlMs), holdId, this.lease.id];
    windows.forEach((w, i) => args.push(String(w.budget.amountMicros), String(holdMicros), String(counterTtlSeconds(w.window, now)), String(returned[i])));
    const reply = (await RESERVE.run(this.redis, keys, args)) as Reply;
    if (Number(reply[0]) === 1) return { ok: true };
    const refused = windows[Number(reply[1]) - 1]!;
    return { ok: false, refusedBy: { ...refused, spentMicros: Number(reply[2]), heldMicros: Number(reply[3]), leasedMicros: Number(reply[4]) } };
  }

  /**
   * Releases the request's hold (or takes what it drew off the lease), adds `costMicros` to each
   * window's spent and queues `record`, atomically, and tops up this instance's credit; false
   * when this hold id was settled before (nothing changes then).
   *
   * Settles that start in one turn of the event loop while Redis is busy, on the same windows,
   * go as one call (`atScriptFlush`, sent in the turn's one write): under load a turn settles
   * several requests, and the window is read and written once for all of them. A settle with
   * Redis idle goes at once, alone.
   */
  settle(holdId: string, windows: readonly BudgetWindow[], costMicros: number, record: string, now: number, markerTtlMs: number, lease: SettleLease): Promise<boolean> {
    const bases = windows.map(keyOf);
    // A request admitted before the budgets changed asks for nothing: its windows carry the old amounts.
    const current = lease.generation === this.credits.generation;
    const asks = this.credits.ask(bases, current ? lease.worstCaseMicros : 0, lease.drawnMicros > 0);
    return new Promise<boolean>((resolve, reject) => {
      const request: SettleRequest = { holdId, markedAt: lease.markedAt, costMicros, drawnMicros: lease.drawnMicros, record, asks, resolve, reject };
      // Only requests admitted under the same budgets join: a group's limits are its first
      // request's windows', and a request from before a budget edit carries the old amount.
      // The key is made only when a group is open or opens: a settle with Redis idle (each one
      // at 1 connection) needs none.
      let key: string | undefined;
      if (this.joining.size > 0) {
        key = groupKey(lease.generation, bases);
        const open = this.joining.get(key);
        if (open && open.requests.length < MAX_JOINED) {
          open.requests.push(request);
          return;
        }
      }
      const group: SettleGroup = { windows, bases, markerTtlMs, now, requests: [request] };
      const joined = atScriptFlush(this.redis, () => {
        if (this.joining.get(key!) === group) this.joining.delete(key!);
        void this.send(group);
      });
      if (joined) this.joining.set((key ??= groupKey(lease.generation, bases)), group);
      else void this.send(group);
    });
  }

  /** One settle call for `group`'s requests; answers each of them, never rejects itself. */
  private async send(group: SettleGroup): Promise<void> {
    const { windows, bases, markerTtlMs, now, requests } = group;
    const keys = pushKeys([USAGE_PENDING_KEY], bases);
    for (const r of requests) keys.push(markerSetKey(r.markedAt));
    const asks = requests.length === 1 ? requests[0]!.asks : bases.map((_, i) => requests.reduce((sum, r) => sum + r.asks[i]!, 0));
    const args = [String(now), String(markersUntil(now, markerTtlMs)), this.lease.id, String(now + this.lease.ttlMs), String(this.lease.share), String(windows.length)];
    windows.forEach((w, i) => args.push(String(counterTtlSeconds(w.window, now)), String(w.budget.amountMicros), String(asks[i])));
    for (const r of requests) args.push(r.holdId, String(r.costMicros), String(r.drawnMicros), r.record);
    const sentAt = this.credits.now();
    const sentIn = this.credits.generation;
    let reply: number[];
    try {
      reply = (await SETTLE.run(this.redis, keys, args)) as number[];
    } catch (err) {
      // Whether it ran is unknown: credit it may have granted stays unused in Redis until the
      // lease expires (never the other way round). And no more requests on credit until Redis
      // answers again: their settles would fail too, leaving their usage only in the log.
      this.credits.answered(bases, asks, sentAt);
      this.credits.take(bases);
      for (const r of requests) r.reject(err);
      return;
    }
    const n = requests.length;
    if (reply.length === n) {
      // No window figures: none of them settled now (or there are no budgets), so no credit changed.
      this.credits.answered(bases, asks, sentAt);
    } else {
      const granted = bases.map((_, i) => ({ granted: Number(reply[n + 2 * i]), leaseAfter: Number(reply[n + 1 + 2 * i]) }));
      if (sentIn === this.credits.generation) {
        this.credits.answered(bases, asks, sentAt, granted);
      } else {
        // The budgets changed while this was out: what it was granted goes straight back.
        this.credits.answered(bases, asks, sentAt);
        const back = new Map(bases.map((base, i) => [base, granted[i]!.granted] as const).filter(([, micros]) => micros > 0));
        if (back.size > 0) {
          try {
            await this.hand(back, Date.now());
          } catch (err) {
            for (const r of requests) r.reject(err);
            return;
          }
        }
      }
    }
    requests.forEach((r, i) => r.resolve(Number(reply[i]) === 1));
  }

  /** Hands back the credit no request drew for `idleMs` (all of it with 0: the instance stops). */
  async returnIdle(idleMs: number, now: number): Promise<void> {
    await this.hand(this.credits.takeIdle(idleMs), now);
  }

  /** The budgets changed: hands back all credit, and no credit granted under the old amounts is used. */
  async retire(now: number): Promise<void> {
    await this.hand(this.credits.retire(), now);
  }

  private async hand(credit: ReadonlyMap<string, number>, now: number): Promise<void> {
    if (credit.size === 0) return;
    const keys = pushKeys([], credit.keys());
    await RETURN_CREDIT.run(this.redis, keys, [String(now), this.lease.id, ...[...credit.values()].map(String)]);
  }

  /** Current spent, held and leased of each window (expired holds and leases released first). */
  async status(windows: readonly BudgetWindow[], now: number): Promise<BudgetState[]> {
    if (windows.length === 0) return [];
    const keys = pushKeys([], windows.map(keyOf));
    const reply = (await STATUS.run(this.redis, keys, [String(now)])) as number[];
    return windows.map((w, i) => ({ ...w, spentMicros: Number(reply[3 * i]), heldMicros: Number(reply[3 * i + 1]), leasedMicros: Number(reply[3 * i + 2]) }));
  }
}
