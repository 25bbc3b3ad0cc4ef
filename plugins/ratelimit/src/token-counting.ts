/**
 * @module token-counting
 * Token limits: a request is admitted while its windows still have tokens left (the
 * middleware's check with cost 0); the tokens it actually used are added when the inference
 * pipeline settles it — after the response, or on an error with the usage so far (a stream
 * cut short still counts what was streamed). So one request may overshoot a token limit by
 * its own size; the next one is refused.
 */
import type { InferenceContext, InferenceHook } from '@scaigrid/plugin-inference';
import type { Logger } from 'pino';
import type { RuleCache } from './rule-cache.js';
import type { SlidingWindowLimiter } from './sliding-window-limiter.js';

export function tokenCountingHook(rules: RuleCache, limiter: SlidingWindowLimiter, log: Logger): InferenceHook {
  const count = (ctx: InferenceContext) => {
    const usage = ctx.usage;
    if (!usage) return;
    const tokens = usage.promptTokens + usage.completionTokens;
    const checks = rules.checksFor(ctx.caller, 'tokens');
    if (tokens <= 0 || checks.length === 0) return;
    // Not awaited: the client's answer need not wait for a counter that only affects later
    // requests (which may pass in the moment before it lands, as the overshoot above allows).
    // The tokens wait up to TOKEN_FLUSH_MS for a check to carry them; the handler below keeps
    // only the request id, not `ctx`, so the finished request's objects are not held that
    // long (held across a young-generation collection, they would be promoted to the old one).
    const { requestId } = ctx;
    limiter.add(checks, tokens).catch((err) => {
      log.warn({ err, requestId, tokens }, 'Could not count tokens against rate limits');
    });
  };
  return { name: 'ratelimit', afterResponse: count, onError: count };
}
