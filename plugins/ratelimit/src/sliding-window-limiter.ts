/**
 * @module sliding-window-limiter
 * Checks and counts every limit of a request in one Redis round trip (one Lua script), so a
 * limit holds across any number of gateway instances and a refused request counts nowhere.
 * Sliding-window counter: two fixed windows weighted by how far the current one has run;
 * smooth at window edges (no double burst as with fixed windows) with two numbers per
 * counter, and the count is one that tokens can be added to after a response.
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

export class SlidingWindowLimiter {
  constructor(private readonly redis: Redis) {}

  /**
   * Counts `cost` against every check when all of them have room; otherwise counts nothing.
   * Token checks are usually given cost 0: they pass while at least one token is left.
   */
  async check(checks: readonly { check: LimitCheck; cost: number }[]): Promise<LimitDecision> {
    if (checks.length === 0) return { allowed: true, results: [] };
    const args: (string | number)[] = [];
    for (const { check, cost } of checks) args.push(check.limit, check.windowMs, cost);
    const reply = (await CHECK.run(this.redis, checks.map((c) => c.check.counterKey), args)) as number[];
    const results = checks.map(({ check }, i) => ({
      check,
      remaining: Number(reply[1 + i * 3]),
      resetMs: Number(reply[2 + i * 3]),
      retryMs: Number(reply[3 + i * 3]),
    }));
    return { allowed: Number(reply[0]) === 1, results };
  }

  /** Adds `amount` to each counter unconditionally (actual tokens, known after the response). */
  async add(checks: readonly LimitCheck[], amount: number): Promise<void> {
    if (checks.length === 0 || amount <= 0) return;
    const args: (string | number)[] = [];
    for (const check of checks) args.push(check.windowMs, amount);
    await ADD.run(this.redis, checks.map((c) => c.counterKey), args);
  }
}
