/**
 * @module fake-auth
 * A test-only stand-in for the auth module (id `auth`): the caller comes from the
 * `x-test-caller` header as JSON `{ tenantId?, permissions: [] }`; `admin:access` implies
 * every permission, as in the real auth plugin. Used until the real module's key flow is
 * wired into these tests.
 */
import { defineModule, GatewayError } from '@scaigrid/kernel';
import type { Context, MiddlewareHandler } from 'hono';
import { authServiceRef, type AuthService } from '../../auth/src/auth-service.js';
import type { Caller } from '../../auth/src/caller.js';
import { tenantScope } from '../../auth/src/tenancy.js';

export function callerHeader(permissions: string[], tenantId?: string): Record<string, string> {
  return { 'x-test-caller': JSON.stringify({ permissions, tenantId }) };
}

export const ADMIN = callerHeader(['admin:access']);

const has = (caller: Caller, p: string) => caller.permissions.has('admin:access') || caller.permissions.has(p);

const service: AuthService = {
  requirePermission(...permissions: string[]): MiddlewareHandler {
    return async (c, next) => {
      const caller = service.caller(c);
      const missing = permissions.filter((p) => !has(caller, p));
      if (missing.length > 0) throw new GatewayError('FORBIDDEN', `Missing permission ${missing.join(', ')}`);
      await next();
    };
  },
  caller(c: Context): Caller {
    const caller = c.get('caller');
    if (!caller) throw new GatewayError('UNAUTHENTICATED', 'No x-test-caller header');
    return caller;
  },
  hasPermission: (caller, permission) => caller !== undefined && has(caller, permission),
  tenantScope: (caller) => tenantScope(caller),
  async visibleTenant(caller, id) {
    if (caller?.permissions.has('admin:access') || caller?.tenantId === id) return { id, slug: id, name: id, partnerId: null };
    throw new GatewayError('NOT_FOUND', `Tenant '${id}' not found`);
  },
  async visibleTenantIds(caller) {
    if (caller?.permissions.has('admin:access')) return 'all';
    return caller?.tenantId ? [caller.tenantId] : [];
  },
};

export const fakeAuthModule = defineModule({
  id: 'auth',
  version: '0.0.0-test',
  setup(ctx) {
    ctx.provide(authServiceRef, service);
    ctx.middleware('authenticate', async (c, next) => {
      const header = c.req.header('x-test-caller');
      if (header) {
        const parsed = JSON.parse(header) as { permissions: string[]; tenantId?: string };
        c.set('caller', { kind: 'service', roles: [], tenantId: parsed.tenantId, permissions: new Set(parsed.permissions) });
      }
      await next();
    });
  },
});
