/**
 * @module @scaigrid/plugin-routing
 * The routing plugin: frontend model slugs → ordered backends. Owns models (seeded from
 * config, managed under `/v1/admin/models`), keeps them all in memory, and provides
 * `routing.service` (resolve/listModels) with no database query per request.
 */
import { defineModule, isGatewayError } from '@scaigrid/kernel';
import { authServiceRef, type Caller } from '@scaigrid/plugin-auth';
import { routingConfigSchema } from './config.js';
import { migrations } from './migrations/index.js';
import { ModelAdmin, ROUTING_CHANGED_TOPIC, type RoutingChangedEvent } from './model-admin.js';
import { MANAGE_PERMISSION, ModelCatalog } from './model-catalog.js';
import { ModelStore } from './model-store.js';
import { providerDirectoryRef } from './provider-directory.js';
import { modelAdminRoutes } from './routes.js';
import { routingAdminRef } from './routing-admin.js';
import { routingServiceRef } from './routing-service.js';

export * from './routing-service.js';
export * from './routing-admin.js';
export * from './provider-directory.js';
export { orderCandidates, type RandomSource } from './candidate-order.js';
export { parsePriceMicros, formatPriceMicros } from './money.js';
export { ROUTING_CHANGED_TOPIC, type RoutingChangedEvent } from './model-admin.js';
export type { ModelView, BackendView } from './model-record.js';
export { routingConfigSchema, type RoutingConfig } from './config.js';

/** Routing's own identity for tenant look-ups in seeds and admin writes (which need admin:access anyway). */
const SYSTEM_CALLER: Caller = Object.freeze({ kind: 'service', roles: [], permissions: new Set(['admin:access']) });

export default defineModule({
  id: 'routing',
  version: '0.1.0',
  dependsOn: ['auth'],
  // Only to check provider ids on writes; see provider-directory.ts.
  optionalDependsOn: ['dispatch'],
  config: routingConfigSchema,
  permissions: { [MANAGE_PERMISSION]: "Read models in the admin API (tenant admins: their tenant's and public models; writes need admin:access)." },
  migrations,
  async setup(ctx) {
    const store = new ModelStore(ctx.db, (name) => ctx.table(name));
    const catalog = new ModelCatalog(store);
    const auth = ctx.use(authServiceRef);
    const admin = new ModelAdmin({
      store,
      catalog,
      events: ctx.events,
      instanceId: ctx.kernel.instanceId,
      providers: ctx.useOptional(providerDirectoryRef),
      tenantId: (ref) =>
        auth.visibleTenant(SYSTEM_CALLER, ref).then(
          (tenant) => tenant.id,
          (err: unknown) => {
            if (isGatewayError(err) && err.code === 'NOT_FOUND') return undefined;
            throw err;
          },
        ),
      log: ctx.log,
    });
    ctx.provide(routingServiceRef, catalog);
    ctx.provide(routingAdminRef, admin);
    ctx.mount('/v1/admin/models', modelAdminRoutes({ auth, catalog, admin }));

    const unsubscribe = await ctx.events.subscribe<RoutingChangedEvent>(ROUTING_CHANGED_TOPIC, async (message) => {
      if (message.payload.origin === ctx.kernel.instanceId) return;
      await catalog.reload();
    });

    ctx.onReady(async () => {
      await catalog.reload();
      await admin.seed(ctx.config.models);
    });

    return { stop: unsubscribe };
  },
});
