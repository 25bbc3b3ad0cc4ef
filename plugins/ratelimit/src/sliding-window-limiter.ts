/**
 * @module sliding-window-limiter
 * Checks and counts every limit of a request in one Redis round trip (one Lua script), so a
 * limit holds across any number of gateway instances and a refused request counts nowhere.
 * Sliding-window counter: two fixed windows weighted by how far the current one has run;
 * smooth at window edges (no double burst as with fixed windows) with two numbers per
 * counter, and the count is one that tokens can be added to after a response.
 *
 * Tokens used by a finished request ride along with the next check instead of taking a Redis
 * command of their own: a limit is only ever read by a check, and the next request's check is
 * sent moments later on a busy instance. That takes one of the four Lua calls of a request off
 * the path (a round trip's wake-up at one connection). When no check comes, they go alone
 * after TOKEN_FLUSH_MS, and stop() sends what is left, so other instances see them late by at
 * most that much.
 */
import { RedisScript, type ModuleContext } from '@scaigrid/kernel';
import type { LimitCheck } from './limit-rule.js';
import { ADD_TO_COUNTERS, CHECK_AND_COUNT } from './sliding-window-scripts.js';

export interface CheckResult {
  readonly check: LimitCheck;
  /** What is left in the sliding window after this request (0 when refused). */
  readonly remaining: number;
  /** Milliseconds until the counter is back to zero if nothing more is counted. */
  readonly resetMs: number;
  /** Milliseconds until this request would pass (0 when this check passed). */
  readonly retryMs: number;
}

export interface LimitDecision {
  readonly allowed: boolean;
  readonly results: readonly CheckResult[];
}

type Redis = ModuleContext['redis'];

const CHECK = new RedisScript(CHECK_AND_COUNT);
const ADD = new RedisScript(ADD_TO_COUNTERS);

/** How long used tokens may wait for a check to carry them before they are sent on their own. */
export const TOKEN_FLUSH_MS = 20;

/** Tokens counted and not sent yet, summed per counter, and who waits for them to land. */
interface PendingTokens {
  readonly byCounter: Map<string, { windowMs: number; amount: number }>;
  readonly waiters: { resolve(): void; reject(err: unknown): void }[];
}

export class SlidingWindowLimiter {
  private pending: PendingTokens | undefined;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly redis: Redis) {}

  /**
   * Counts `cost` against every check when all of them have room; otherwise counts nothing.
   * Token checks are usually given cost 0: they pass while at least one token is left.
   * Tokens added since the last check are sent with it and counted first.
   */
  async check(checks: readonly { check: LimitCheck; cost: number }[]): Promise<LimitDecision> {
    if (checks.length === 0) return { allowed: true, results: [] };
    const keys = checks.map((c) => c.check.counterKey);
    const args: (string | number)[] = [checks.length];
    for (const { check, cost } of checks) args.push(check.limit, check.windowMs, cost);
    const reply = (await this.runCarryingTokens(CHECK, keys, args)) as number[];
    const results = checks.map(({ check }, i) => ({
      check,
      remaining: Number(reply[1 + i * 3]),
      resetMs: Number(reply[2 + i * 3]),
      retryMs: Number(reply[3 + i * 3]),
    }));
    return { allowed: Number(reply[0]) === 1, results };
  }

  /**
   * Adds `amount` to each counter unconditionally (actual tokens, known after the response).
   * Resolves once they are counted in Redis: with the next check, or on their own within
   * TOKEN_FLUSH_MS.
   */
  add(checks: readonly LimitCheck[], amount: number): Promise<void> {
    if (checks.length === 0 || amount <= 0) return Promise.resolve();
    const pending: PendingTokens = (this.pending ??= { byCounter: new Map(), waiters: [] });
    for (const check of checks) {
      const counted = pending.byCounter.get(check.counterKey);
      if (counted) counted.amount += amount;
      else pending.byCounter.set(check.counterKey, { windowMs: check.windowMs, amount });
    }
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      this.flush().catch(() => undefined);
    }, TOKEN_FLUSH_MS).unref();
    return new Promise((resolve, reject) => pending.waiters.push({ resolve, reject }));
  }

  /** Sends the tokens no check has carried yet; resolves when they are counted (or when there were none). */
  async flush(): Promise<void> {
    if (this.pending) await this.runCarryingTokens(ADD, [], []);
  }

  /**
   * Runs `script` with the pending tokens appended to its keys and args (`windowMs, amount`
   * per counter, the layout both scripts read), and tells their waiters how it went.
   */
  private async runCarryingTokens(script: RedisScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    const carried = this.pending;
    this.pending = undefined;
    if (carried) {
      for (const [key, { windowMs, amount }] of carried.byCounter) {
        keys.push(key);
        args.push(windowMs, amount);
      }
    }
    try {
      const reply = await script.run(this.redis, keys, args);
      settle(carried);
      return reply;
    } catch (err) {
      // Not put back: the script may have run before the reply was lost, and counting twice
      // would refuse requests that should pass. A token limit can undercount by this much.
      settle(carried, err);
      throw err;
    }
  }
}

function settle(carried: PendingTokens | undefined, err?: unknown): void {
  if (!carried) return;
  for (const waiter of carried.waiters) {
    if (err === undefined) waiter.resolve();
    else waiter.reject(err);
  }
}
