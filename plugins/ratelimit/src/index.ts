/**
 * @module @scaigrid/plugin-ratelimit
 * Rate limits per API key, user, tenant and partner, in requests and tokens per sliding
 * window, enforced in Redis by a Lua script so the limits hold across every gateway instance.
 * The script hands each instance grants (request units counted ahead of use), so most requests
 * are admitted from memory; being counted first, a grant never lets a limit be exceeded, at the
 * price of some capacity held by one instance while another is refused near the limit. Rules
 * come from the config seed and `/v1/admin/rate-limits`, and are served from memory. Token
 * usage is counted through the inference hooks when inference is loaded; without it, request
 * limits still apply on the configured paths.
 */
import { defineModule } from '@scaigrid/kernel';
import { authServiceRef } from '@scaigrid/plugin-auth';
import { inferenceHooksRef } from '@scaigrid/plugin-inference';
import { ratelimitConfigSchema } from './config.js';
import { migrations } from './migrations/index.js';
import { rateLimitMiddleware } from './rate-limit-middleware.js';
import { createRateLimitService, rateLimitServiceRef } from './rate-limit-service.js';
import { RuleCache } from './rule-cache.js';
import { RuleStore } from './rule-store.js';
import { rateLimitRoutes } from './routes.js';
import { applySeedRules } from './seed.js';
import { SlidingWindowLimiter } from './sliding-window-limiter.js';
import { tokenCountingHook } from './token-counting.js';

export * from './limit-rule.js';
export { RULES_CHANGED } from './rule-cache.js';
export * from './rate-limit-service.js';
export type { CheckResult, LimitDecision } from './sliding-window-limiter.js';
export { ratelimitConfigSchema, type RatelimitConfig, type SeedRule } from './config.js';

export default defineModule({
  id: 'ratelimit',
  version: '0.1.0',
  dependsOn: ['auth'],
  optionalDependsOn: ['inference'],
  config: ratelimitConfigSchema,
  migrations,
  async setup(ctx) {
    const auth = ctx.use(authServiceRef);
    const store = new RuleStore(ctx.db, ctx.table('rules'));
    const cache = new RuleCache(store, ctx.events, ctx.log);
    const limiter = new SlidingWindowLimiter(ctx.redis, ctx.config.grants);
    // A grant was counted under the old limits; dropping it costs only unused capacity.
    cache.onChange(() => limiter.dropGrants());
    await cache.load();
    ctx.provide(rateLimitServiceRef, createRateLimitService(cache, limiter));

    const limit = rateLimitMiddleware({ rules: cache, limiter, failOpen: ctx.config.failOpen, log: ctx.log });
    for (const path of ctx.config.paths) ctx.middleware('authorize', limit, { path });
    const unregister = ctx.useOptional(inferenceHooksRef)?.register(tokenCountingHook(cache, limiter, ctx.log));
    ctx.mount('/v1/admin/rate-limits', rateLimitRoutes({ auth, store, cache }));

    const serving = ctx.kernel.mode === 'http' || ctx.kernel.mode === 'grpc';
    if (serving) await cache.start(ctx.config.refreshSeconds);
    ctx.onReady(async () => {
      if ((await applySeedRules(ctx.config.limits, store, auth)) > 0) await cache.changed();
    });
    return {
      async stop() {
        unregister?.();
        // Tokens still waiting for a check to carry them (the kernel stops modules after the
        // requests, so no more will come).
        await limiter.flush().catch((err) => ctx.log.warn({ err }, 'Could not count the last tokens against rate limits'));
        await cache.stop();
      },
    };
  },
});
