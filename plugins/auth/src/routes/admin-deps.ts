/**
 * @module routes/admin-deps
 * What the admin routes need, and the tenancy rules they share: which owner a new user or
 * key gets (a tenant, a partner, or nobody = global), whether the caller may see an
 * existing owner (if not: 404, never 403), and that nobody grants roles or scopes beyond
 * their own permissions.
 */
import { GatewayError } from '@scaigrid/kernel';
import type { AuthService } from '../auth-service.js';
import type { Caller } from '../caller.js';
import type { KeyCacheInvalidation } from '../key-cache-invalidation.js';
import { grants } from '../permissions.js';
import type { RoleRegistry } from '../roles.js';
import type { ApiKeyStore } from '../store/api-key-store.js';
import type { PartnerStore } from '../store/partner-store.js';
import type { Owner } from '../store/records.js';
import type { TenantStore } from '../store/tenant-store.js';
import type { UserStore } from '../store/user-store.js';
import { canSeePartner, canSeeTenant, tenantScope } from '../tenancy.js';
import { notFound } from './http-helpers.js';

export interface AdminDeps {
  auth: AuthService;
  roles: RoleRegistry;
  /** Every permission any loaded module declares. */
  declared: ReadonlySet<string>;
  partners: PartnerStore;
  tenants: TenantStore;
  users: UserStore;
  keys: ApiKeyStore;
  invalidation: KeyCacheInvalidation;
}

/** The owner named in a request body (tenant or partner, by id or slug), defaulting to the caller's own. */
export async function resolveOwner(deps: AdminDeps, caller: Caller, requested: { tenant_id?: string; partner_id?: string }): Promise<Owner> {
  if (requested.tenant_id !== undefined && requested.partner_id !== undefined) {
    throw new GatewayError('VALIDATION_ERROR', "Invalid request body: 'partner_id': give tenant_id or partner_id, not both (a tenant's partner follows from the tenant).");
  }
  if (requested.tenant_id !== undefined) {
    const tenant = await deps.tenants.find(requested.tenant_id);
    if (!tenant || !canSeeTenant(caller, tenant)) throw notFound('Tenant', requested.tenant_id);
    return { tenantId: tenant.id, partnerId: null };
  }
  if (requested.partner_id !== undefined) {
    const partner = await deps.partners.find(requested.partner_id);
    if (!partner || !canSeePartner(caller, partner.id)) throw notFound('Partner', requested.partner_id);
    return { tenantId: null, partnerId: partner.id };
  }
  const scope = tenantScope(caller);
  if (scope.kind === 'tenant') return { tenantId: scope.tenantId, partnerId: null };
  if (scope.kind === 'partner') return { tenantId: null, partnerId: scope.partnerId };
  if (scope.kind === 'all') return { tenantId: null, partnerId: null };
  throw new GatewayError('FORBIDDEN', 'This credential belongs to no tenant or partner, so it can create nothing; name a tenant_id it may see.');
}

/** Whether the caller may see something owned by `owner`. */
export async function canSeeOwner(deps: AdminDeps, caller: Caller, owner: Owner): Promise<boolean> {
  const scope = tenantScope(caller);
  if (scope.kind === 'all') return true;
  if (scope.kind === 'tenant') return owner.tenantId === scope.tenantId;
  if (scope.kind === 'partner') {
    if (owner.tenantId === null) return owner.partnerId === scope.partnerId;
    return (await deps.tenants.find(owner.tenantId))?.partnerId === scope.partnerId;
  }
  return false;
}

/**
 * Roles must exist and scopes must be declared permissions (400); the caller must already
 * hold everything it grants (403), so a tenant admin cannot mint an admin key.
 */
export function assertGrantable(deps: AdminDeps, caller: Caller, roles: readonly string[], scopes: readonly string[] = []): void {
  roles.forEach((role, i) => {
    if (!deps.roles.has(role)) {
      throw new GatewayError('VALIDATION_ERROR', `Invalid request body: 'roles.${i}': unknown role '${role}' (defined: ${deps.roles.names().join(', ')}).`);
    }
  });
  scopes.forEach((scope, i) => {
    if (!deps.declared.has(scope)) throw new GatewayError('VALIDATION_ERROR', `Invalid request body: 'scopes.${i}': unknown permission '${scope}'.`);
  });
  const tooStrong = roles.filter((role) => !deps.roles.isWithin(role, caller.permissions));
  if (tooStrong.length > 0) throw new GatewayError('FORBIDDEN', `You cannot grant the role ${tooStrong.map((r) => `'${r}'`).join(', ')}: it holds permissions you do not have.`);
  const notHeld = scopes.filter((scope) => !grants(caller.permissions, scope));
  if (notHeld.length > 0) throw new GatewayError('FORBIDDEN', `You cannot grant the scope ${notHeld.map((s) => `'${s}'`).join(', ')}: you do not hold it.`);
}
