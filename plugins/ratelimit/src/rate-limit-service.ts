/**
 * @module rate-limit-service
 * `ratelimit.service`, for modules that serve model traffic outside the inference pipeline
 * (their own adapters, batch jobs): which limits apply to a caller, and counting the tokens
 * a request used against them (what the inference hook does after each response).
 */
import { serviceRef } from '@scaigrid/kernel';
import type { Caller } from '@scaigrid/plugin-auth';
import type { LimitCheck } from './limit-rule.js';
import type { RuleCache } from './rule-cache.js';
import type { SlidingWindowLimiter } from './sliding-window-limiter.js';

export interface RateLimitService {
  /** Every counter that applies to the caller (its own rules, else each scope's default). */
  checksFor(caller: Caller): readonly LimitCheck[];
  /** Adds used tokens to the caller's token limits; a request already admitted is never refused by this. */
  countTokens(caller: Caller, tokens: number): Promise<void>;
}

export const rateLimitServiceRef = serviceRef<RateLimitService>('ratelimit.service');

export function createRateLimitService(rules: RuleCache, limiter: SlidingWindowLimiter): RateLimitService {
  return Object.freeze({
    checksFor: (caller: Caller) => rules.checksFor(caller),
    countTokens: (caller: Caller, tokens: number) => limiter.add(rules.checksFor(caller, 'tokens'), tokens),
  });
}
