/**
 * The rate-limit middleware on its own, with limiters that answer from memory, refuse, or fail:
 * an admission from memory sets the X-RateLimit-* headers of the tightest limit; a refusal is a
 * 429 with Retry-After; a limiter that fails, whether its promise rejects or it throws before
 * returning one, serves the request unlimited when `failOpen` and answers 503
 * RATE_LIMITER_UNAVAILABLE otherwise.
 */
import { Hono } from 'hono';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { isGatewayError } from '@scaigrid/kernel';
import type { Caller } from '@scaigrid/plugin-auth';
import type { LimitCheck } from '../src/limit-rule.js';
import { rateLimitMiddleware } from '../src/rate-limit-middleware.js';
import type { RuleCache } from '../src/rule-cache.js';
import type { LimitDecision, SlidingWindowLimiter } from '../src/sliding-window-limiter.js';
import { limitCheck } from './helpers.js';

const caller = { kind: 'api_key', keyId: 'k1', roles: [], permissions: new Set<string>() } as unknown as Caller;

function appWith(check: SlidingWindowLimiter['check'], failOpen: boolean) {
  const limits: LimitCheck[] = [limitCheck('requests', 100), limitCheck('tokens', 1000)];
  const app = new Hono();
  app.use('*', async (c, next) => {
    c.set('caller', caller);
    await next();
  });
  app.use(
    '*',
    rateLimitMiddleware({
      rules: { checksFor: () => limits } as unknown as RuleCache,
      limiter: { check } as unknown as SlidingWindowLimiter,
      failOpen,
      log: pino({ level: 'silent' }),
    }),
  );
  app.post('/call', (c) => c.json({ ok: true }));
  app.onError((err, c) => {
    if (!isGatewayError(err)) throw err;
    for (const [name, value] of Object.entries(err.headers)) c.header(name, value);
    return c.json({ code: err.code }, err.status as 429 | 503);
  });
  return { app, limits };
}

const post = (app: Hono) => app.request('/call', { method: 'POST' });

describe('rate-limit middleware', () => {
  it('sets the headers of the tightest limit when admitted from memory', async () => {
    const fromMemory = (checks: Parameters<SlidingWindowLimiter['check']>[0]): LimitDecision => ({
      allowed: true,
      // 90 of 100 requests left (90 %) against 100 of 1000 tokens left (10 %): the tokens are tightest.
      results: checks.map(({ check }) => ({ check, remaining: check.kind === 'requests' ? 90 : 100, resetMs: 30_500, retryMs: 0 })),
    });
    const { app, limits } = appWith(fromMemory, false);
    const res = await post(app);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit')).toBe(String(limits[1]!.limit));
    expect(res.headers.get('x-ratelimit-remaining')).toBe('100');
    expect(res.headers.get('x-ratelimit-reset')).toBe('31');
  });

  it('refuses with 429 and Retry-After when the decision from memory refuses', async () => {
    const refusing = (checks: Parameters<SlidingWindowLimiter['check']>[0]): LimitDecision => ({
      allowed: false,
      results: checks.map(({ check }) => ({ check, remaining: 0, resetMs: 4_000, retryMs: check.kind === 'requests' ? 2_500 : 0 })),
    });
    const res = await post(appWith(refusing, true).app);
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ code: 'RATE_LIMITED' });
    expect(res.headers.get('retry-after')).toBe('3');
  });

  for (const [how, check] of [
    ['rejects', () => Promise.reject(new Error('redis down'))],
    [
      'throws before returning',
      () => {
        throw new Error('limiter broke');
      },
    ],
  ] as const) {
    it(`serves unlimited when the limiter ${how} and failOpen is set, and answers 503 when it is not`, async () => {
      const open = await post(appWith(check, true).app);
      expect(open.status).toBe(200);
      expect(open.headers.get('x-ratelimit-limit')).toBeNull();
      const closed = await post(appWith(check, false).app);
      expect(closed.status).toBe(503);
      expect(await closed.json()).toEqual({ code: 'RATE_LIMITER_UNAVAILABLE' });
      expect(closed.headers.get('retry-after')).toBe('1');
    });
  }
});
