/**
 * @module @scaigrid/plugin-dispatch
 * The dispatch plugin: provider instances (seeded from config, managed under
 * `/v1/admin/providers`, credentials from env), the registry provider packages register their
 * dispatchers in, and `dispatch.service`, which sends a request to a route's backends with a
 * circuit breaker per backend, per-provider timeouts and failover before the first byte.
 *
 * Dependencies: dispatch needs only auth (for its admin API). Routing lists dispatch as an
 * optional dependency to check provider ids on writes (`dispatch.providers`), so dispatch
 * cannot depend on routing; it uses routing's types only, and a backend naming a provider
 * deleted since is skipped at dispatch time.
 */
import { defineModule } from '@scaigrid/kernel';
import { authServiceRef } from '@scaigrid/plugin-auth';
import { providerDirectoryRef } from '@scaigrid/plugin-routing';
import { BreakerBoard } from './circuit-breaker.js';
import { dispatchConfigSchema } from './config.js';
import { KindRegistry } from './dispatcher-registry.js';
import { dispatcherRegistryRef, dispatchServiceRef } from './dispatch-service.js';
import { FailoverDispatch } from './failover-dispatch.js';
import { migrations } from './migrations/index.js';
import { PROVIDERS_CHANGED_TOPIC, ProviderAdmin, type ProvidersChangedEvent } from './provider-admin.js';
import { ProviderCatalog } from './provider-catalog.js';
import { ProviderStore } from './provider-store.js';
import { providerAdminRoutes } from './routes.js';

export * from './chat-model.js';
export * from './dispatcher.js';
export * from './dispatch-service.js';
export * from './upstream-http.js';
export { UpstreamBody } from './upstream-body.js';
export { abortSignalOf } from './attempt-signal.js';
export * from './sse-events.js';
export * from './call-options.js';
export { CircuitBreaker, BreakerBoard, type BreakerState, type BreakerOptions } from './circuit-breaker.js';
export { PROVIDERS_CHANGED_TOPIC, type ProvidersChangedEvent } from './provider-admin.js';
export type { ProviderView } from './provider-catalog.js';
export { dispatchConfigSchema, type DispatchConfig } from './config.js';

export default defineModule({
  id: 'dispatch',
  version: '0.1.0',
  dependsOn: ['auth'],
  config: dispatchConfigSchema,
  migrations,
  async setup(ctx) {
    const registry = new KindRegistry();
    const store = new ProviderStore(ctx.db, ctx.table('providers'));
    const catalog = new ProviderCatalog(store, ctx.config.defaultTimeoutMs);
    const breakers = new BreakerBoard(ctx.config.breaker);
    const admin = new ProviderAdmin({ store, catalog, registry, events: ctx.events, instanceId: ctx.kernel.instanceId, log: ctx.log });

    ctx.provide(dispatcherRegistryRef, registry);
    ctx.provide(providerDirectoryRef, catalog);
    ctx.provide(dispatchServiceRef, new FailoverDispatch({ providers: catalog, registry, breakers, http: ctx.http, log: ctx.log }));
    ctx.mount('/v1/admin/providers', providerAdminRoutes({ auth: ctx.use(authServiceRef), catalog, admin }));

    const unsubscribe = await ctx.events.subscribe<ProvidersChangedEvent>(PROVIDERS_CHANGED_TOPIC, async (message) => {
      if (message.payload.origin !== ctx.kernel.instanceId) await catalog.reload();
    });

    // Dispatcher packages depend on dispatch and register in their setup, which has run by now.
    ctx.onReady(async () => {
      await catalog.reload();
      await admin.seed(ctx.config.providers);
    });

    return { stop: unsubscribe };
  },
});
