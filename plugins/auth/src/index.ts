/**
 * @module @scaigrid/plugin-auth
 * The auth module: who is calling (API keys, JWTs from a trusted issuer, service tokens),
 * what they may do (roles → permissions, narrowed by key scopes) and which tenants they may
 * see. Other modules depend on it for `auth.service` (route guards, the caller, the tenancy
 * wall) and read `c.var.caller`.
 */
import { defineModule } from '@scaigrid/kernel';
import { ApiKeyAuthenticator } from './api-key-authenticator.js';
import { authServiceRef } from './auth-service.js';
import { createAuthenticateMiddleware } from './authenticate.js';
import { bootstrapAdminKey, ensureDefaultTenant } from './bootstrap.js';
import { authConfigSchema } from './config.js';
import { createAuthService } from './create-auth-service.js';
import { JwtVerifier } from './jwt-verifier.js';
import { KeyCacheInvalidation } from './key-cache-invalidation.js';
import { keysCommand } from './keys-command.js';
import { LastUsedTracker } from './last-used-tracker.js';
import { migrations } from './migrations/index.js';
import { AUTH_PERMISSIONS } from './permissions.js';
import { RoleRegistry } from './roles.js';
import type { AdminDeps } from './routes/admin-deps.js';
import { keyRoutes } from './routes/keys.js';
import { meRoutes } from './routes/me.js';
import { partnerRoutes } from './routes/partners.js';
import { tenantRoutes } from './routes/tenants.js';
import { userRoutes } from './routes/users.js';
import { applySeeds } from './seed.js';
import { ServiceTokens } from './service-tokens.js';
import { ApiKeyStore } from './store/api-key-store.js';
import { PartnerStore } from './store/partner-store.js';
import { TenantStore } from './store/tenant-store.js';
import { UserStore } from './store/user-store.js';

export * from './caller.js';
export * from './auth-service.js';
export * from './tenancy.js';
export * from './events.js';
export { ADMIN_ACCESS, AUTH_PERMISSIONS, hasPermission, grants } from './permissions.js';
export { DEFAULT_ROLES } from './roles.js';
export { API_KEY_PREFIX } from './api-key-secret.js';
export { BOOTSTRAP_KEY_ID, DEFAULT_TENANT_SLUG } from './bootstrap.js';
export { authConfigSchema, type AuthConfig, type JwtConfig, type ServiceTokenConfig, type SeedConfig } from './config.js';

export default defineModule({
  id: 'auth',
  version: '0.1.0',
  config: authConfigSchema,
  permissions: AUTH_PERMISSIONS,
  migrations,
  async setup(ctx) {
    const config = ctx.config;
    const declaredList = ctx.permissions().map((p) => p.name);
    const declared = new Set(declaredList);
    const roles = new RoleRegistry(config.roles, declaredList);
    const serviceTokens = new ServiceTokens(config.serviceTokens, process.env, declaredList);

    const storeDeps = { db: ctx.db, table: ctx.table };
    const partners = new PartnerStore(storeDeps);
    const tenants = new TenantStore(storeDeps);
    const users = new UserStore(storeDeps);
    const keys = new ApiKeyStore(storeDeps);

    const lastUsed = new LastUsedTracker(keys, ctx.log);
    const keyAuthenticator = new ApiKeyAuthenticator({ store: keys, roles, cache: config.keyCache, log: ctx.log, onUse: (id, at) => lastUsed.note(id, at) });
    const invalidation = new KeyCacheInvalidation(keyAuthenticator, ctx.events, ctx.log);
    // Only processes that serve requests cache keys; workers and CLI runs need no subscription.
    const serving = ctx.kernel.mode === 'http' || ctx.kernel.mode === 'grpc';
    const unsubscribes = serving ? await invalidation.listen() : [];

    const auth = createAuthService(tenants);
    ctx.provide(authServiceRef, auth);
    ctx.middleware(
      'authenticate',
      createAuthenticateMiddleware({ keys: keyAuthenticator, jwt: config.jwt ? new JwtVerifier(config.jwt, roles) : undefined, serviceTokens, log: ctx.log }),
    );

    const admin: AdminDeps = { auth, roles, declared, partners, tenants, users, keys, invalidation };
    ctx.mount('/v1/admin/partners', partnerRoutes(admin));
    ctx.mount('/v1/admin/tenants', tenantRoutes(admin));
    ctx.mount('/v1/admin/users', userRoutes(admin));
    ctx.mount('/v1/admin/keys', keyRoutes(admin));
    ctx.mount('/v1/auth', meRoutes(auth));
    ctx.command('keys', 'Create, list and revoke API keys (keys create --name x [--tenant t] [--role r] [--scope s])', keysCommand({ keys, tenants, partners, roles, declared, invalidation }));

    ctx.onReady(async () => {
      if (config.bootstrap.defaultTenant) await ensureDefaultTenant(tenants);
      let created = 0;
      if (config.bootstrap.enabled) {
        const outcome = await bootstrapAdminKey({
          keys,
          env: process.env,
          adminKeyEnv: config.bootstrap.adminKeyEnv,
          log: ctx.log,
          print: (line) => process.stdout.write(`${line}\n`),
        });
        if (outcome === 'from-env' || outcome === 'generated') created++;
      }
      created += await applySeeds(config.seed, { partners, tenants, users, keys }, roles, declared, process.env);
      if (created > 0) await invalidation.keyCreated();
    });

    if (serving) lastUsed.start(config.lastUsedFlushSeconds * 1000);
    return {
      async stop() {
        await lastUsed.stop();
        for (const unsubscribe of unsubscribes) await unsubscribe();
      },
    };
  },
});
