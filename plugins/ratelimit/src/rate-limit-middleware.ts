/**
 * @module rate-limit-middleware
 * The `authorize`-phase middleware on inference paths: one check of every limit of the caller
 * (key, user, tenant, partner; requests and tokens), answered from this instance's grants when
 * they cover it, else by one Lua call that checks and counts (sliding-window-limiter.ts).
 * Refused: 429 RATE_LIMITED with Retry-After and X-RateLimit-* headers (the mount's renderer
 * gives it OpenAI's shape on /oai/v1). Admitted: the X-RateLimit-* headers of the tightest limit.
 *
 * On the inference endpoints the check is started here but not awaited: it is handed to the
 * pipeline (inference's deferred checks), which waits for it together with the budget hold,
 * before anything goes upstream — one Redis round trip of waiting instead of two (none when
 * a grant admits it). A request that fails earlier (an invalid body) is still counted, as it is
 * when the check is awaited.
 */
import { GatewayError, setResponseHeaders } from '@scaigrid/kernel';
import type { Context, MiddlewareHandler, Next } from 'hono';
import type { Logger } from 'pino';
import { deferCheck } from '@scaigrid/plugin-inference';
import type { RuleCache } from './rule-cache.js';
import type { CheckResult, LimitDecision, SlidingWindowLimiter } from './sliding-window-limiter.js';

export interface RateLimitMiddlewareOptions {
  rules: RuleCache;
  limiter: SlidingWindowLimiter;
  failOpen: boolean;
  log: Logger;
}

const seconds = (ms: number) => Math.ceil(ms / 1000);

/** The limit a client should watch: the one with the least room left, relative to its size. */
export function tightest(results: readonly CheckResult[]): CheckResult | undefined {
  let best: CheckResult | undefined;
  for (const r of results) {
    if (!best || r.remaining / Math.max(r.check.limit, 1) < best.remaining / Math.max(best.check.limit, 1)) best = r;
  }
  return best;
}

export function rateLimitHeaders(result: CheckResult): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(result.check.limit),
    'X-RateLimit-Remaining': String(result.remaining),
    'X-RateLimit-Reset': String(seconds(result.resetMs)),
  };
}

function describe(result: CheckResult): string {
  const per = result.check.windowMs === 60_000 ? 'minute' : `${result.check.windowMs / 1000} seconds`;
  return `the ${result.check.scope} limit of ${result.check.limit} ${result.check.kind} per ${per}`;
}

export function rateLimitMiddleware(options: RateLimitMiddlewareOptions): MiddlewareHandler {
  const { rules, limiter, failOpen, log } = options;
  let lastFailureLog = 0;

  /** Resolves when the request may pass; rejects with the client's error when it may not. */
  const verdict = async (decision: Promise<LimitDecision>): Promise<void> => {
    let result: LimitDecision;
    try {
      result = await decision;
    } catch (err) {
      if (Date.now() - lastFailureLog > 10_000) {
        lastFailureLog = Date.now();
        log.error({ err, failOpen }, failOpen ? 'Rate limiter unavailable; serving requests unlimited' : 'Rate limiter unavailable; refusing requests');
      }
      if (!failOpen) throw new GatewayError('RATE_LIMITER_UNAVAILABLE', 'Rate limiting is unavailable; retry shortly.', { status: 503, headers: { 'Retry-After': '1' } });
      return;
    }
    if (!result.allowed) throw refusal(result);
  };

  const showLimits = (c: Context, decision: LimitDecision | undefined) => {
    const shown = decision?.allowed ? tightest(decision.results) : undefined;
    if (shown) setResponseHeaders(c, rateLimitHeaders(shown));
  };

  /** Waits for Redis's answer: deferred to the pipeline where there is one, else here. */
  const checkedInRedis = async (c: Context, next: Next, decision: Promise<LimitDecision>) => {
    const passes = verdict(decision);
    if (!deferCheck(c, passes)) await passes;
    await next();
    showLimits(c, await decision.catch(() => undefined));
  };

  // Not async: admitted from memory (nearly always), the request passes on `next()`'s promise.
  return (c, next) => {
    const caller = c.get('caller');
    // No caller: the route's guard answers 401; OPTIONS is a CORS preflight, not a call.
    if (!caller || c.req.method === 'OPTIONS') return next();
    const checks = rules.checksFor(caller);
    if (checks.length === 0) return next();

    let decision: LimitDecision | Promise<LimitDecision>;
    try {
      decision = limiter.check(checks.map((check) => ({ check, cost: check.kind === 'requests' ? 1 : 0 })));
    } catch (err) {
      // A limiter that fails at once is unavailable like one whose Redis call fails: failOpen decides.
      decision = Promise.reject(err);
    }
    if (decision instanceof Promise) return checkedInRedis(c, next, decision);
    if (!decision.allowed) throw refusal(decision);
    // Set now, where the headers of the answer go whichever response it turns out to be
    // (Node's response; elsewhere the context's, whose headers Hono carries to the final one).
    showLimits(c, decision);
    return next();
  };
}

function refusal(decision: LimitDecision): GatewayError {
  const refused = decision.results.reduce((a, b) => (b.retryMs > a.retryMs ? b : a));
  const retryAfter = Math.max(1, seconds(refused.retryMs));
  return new GatewayError('RATE_LIMITED', `Rate limit exceeded: ${describe(refused)}. Retry after ${retryAfter} s.`, {
    headers: { 'Retry-After': String(retryAfter), ...rateLimitHeaders(refused) },
    details: { scope: refused.check.scope, kind: refused.check.kind, limit: refused.check.limit, window_seconds: refused.check.windowMs / 1000 },
  });
}
