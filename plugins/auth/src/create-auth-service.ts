/**
 * @module create-auth-service
 * The implementation behind `auth.service`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { GatewayError } from '@scaigrid/kernel';
import type { AuthService, TenantInfo } from './auth-service.js';
import { unauthenticated } from './authenticate.js';
import type { Caller } from './caller.js';
import { grants, hasPermission } from './permissions.js';
import type { TenantStore } from './store/tenant-store.js';
import { canSeeTenant, tenantScope } from './tenancy.js';

export function createAuthService(tenants: TenantStore): AuthService {
  const caller = (c: Context): Caller => {
    const found = c.get('caller');
    if (!found) throw unauthenticated('Authentication required: send Authorization: Bearer <API key or token>.');
    return found;
  };

  return Object.freeze({
    requirePermission(...permissions: string[]): MiddlewareHandler {
      // Not async: a check with nothing to do after `next()` hands its promise on.
      return (c, next) => {
        const who = caller(c);
        const missing = permissions.filter((p) => !grants(who.permissions, p));
        if (missing.length > 0) {
          throw new GatewayError('FORBIDDEN', `This credential lacks the permission ${missing.map((p) => `'${p}'`).join(', ')}.`);
        }
        return next();
      };
    },
    caller,
    hasPermission,
    tenantScope,
    async visibleTenant(who: Caller | undefined, idOrSlug: string): Promise<TenantInfo> {
      const tenant = await tenants.find(idOrSlug);
      if (!tenant || !canSeeTenant(who, tenant)) throw new GatewayError('NOT_FOUND', `Tenant '${idOrSlug}' not found.`);
      return { id: tenant.id, slug: tenant.slug, name: tenant.name, partnerId: tenant.partnerId };
    },
    async visibleTenantIds(who: Caller | undefined): Promise<readonly string[] | 'all'> {
      const scope = tenantScope(who);
      return scope.kind === 'all' ? 'all' : tenants.visibleIds(scope);
    },
  });
}
