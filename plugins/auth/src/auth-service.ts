/**
 * @module auth-service
 * The auth plugin's service for other modules (`auth.service`): guards for routes, the
 * caller of a request, and the tenancy wall (which tenants a caller may see) so that every
 * admin API answers 404 for what lies behind it.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { serviceRef } from '@scaigrid/kernel';
import type { Caller } from './caller.js';
import type { TenantScope } from './tenancy.js';

/** A tenant as other modules see it. */
export interface TenantInfo {
  id: string;
  slug: string;
  name: string;
  partnerId: string | null;
}

export interface AuthService {
  /** Route guard: 401 UNAUTHENTICATED without a caller, 403 FORBIDDEN without every permission. */
  requirePermission(...permissions: string[]): MiddlewareHandler;
  /** The authenticated caller, or throws 401 UNAUTHENTICATED. */
  caller(c: Context): Caller;
  /** Whether the caller holds the permission (`admin:access` implies every one). */
  hasPermission(caller: Caller | undefined, permission: string): boolean;
  /** What the caller may see: every tenant, a partner's tenants, one tenant, or none. */
  tenantScope(caller: Caller | undefined): TenantScope;
  /** The tenant (by id or slug) when the caller may see it; otherwise throws 404 NOT_FOUND, as if it did not exist. */
  visibleTenant(caller: Caller | undefined, idOrSlug: string): Promise<TenantInfo>;
  /** Ids of the tenants the caller may see, or 'all' for `admin:access` (for list filters). */
  visibleTenantIds(caller: Caller | undefined): Promise<readonly string[] | 'all'>;
}

export const authServiceRef = serviceRef<AuthService>('auth.service');
