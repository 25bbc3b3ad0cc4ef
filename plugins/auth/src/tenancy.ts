/**
 * @module tenancy
 * Tenancy is a wall: what a caller may see follows from who it is. `admin:access` sees every
 * tenant; a caller bound to a partner (and no tenant) sees that partner's tenants; a caller
 * bound to a tenant sees that tenant only; anyone else sees none. Other plugins (routing's
 * admin API, budgets, usage) reuse these helpers and answer 404 for what is invisible.
 */
import type { Caller } from './caller.js';
import { ADMIN_ACCESS } from './permissions.js';

export type TenantScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'partner'; readonly partnerId: string }
  | { readonly kind: 'tenant'; readonly tenantId: string; readonly partnerId?: string }
  | { readonly kind: 'none' };

/**
 * @example const scope = tenantScope(caller); if (scope.kind === 'tenant') query.where('tenant_id', '=', scope.tenantId)
 */
export function tenantScope(caller: Caller | undefined): TenantScope {
  if (!caller) return { kind: 'none' };
  if (caller.permissions.has(ADMIN_ACCESS)) return { kind: 'all' };
  if (caller.tenantId) return { kind: 'tenant', tenantId: caller.tenantId, partnerId: caller.partnerId };
  if (caller.partnerId) return { kind: 'partner', partnerId: caller.partnerId };
  return { kind: 'none' };
}

/** A tenant as far as visibility is concerned. */
export interface TenantRef {
  id: string;
  partnerId?: string | null;
}

/**
 * @example if (!canSeeTenant(caller, { id: row.tenant_id, partnerId: row.partner_id })) throw notFound()
 */
export function canSeeTenant(caller: Caller | undefined, tenant: TenantRef): boolean {
  const scope = tenantScope(caller);
  switch (scope.kind) {
    case 'all':
      return true;
    case 'partner':
      return tenant.partnerId === scope.partnerId;
    case 'tenant':
      return tenant.id === scope.tenantId;
    default:
      return false;
  }
}

/** Whether the caller may see something owned by a partner (a partner-level key or user, or the partner itself). */
export function canSeePartner(caller: Caller | undefined, partnerId: string): boolean {
  const scope = tenantScope(caller);
  return scope.kind === 'all' || (scope.kind === 'partner' && scope.partnerId === partnerId);
}
