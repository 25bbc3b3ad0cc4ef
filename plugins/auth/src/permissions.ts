/**
 * @module permissions
 * The permissions this module declares and the one rule every check follows:
 * `admin:access` implies every permission.
 */
import type { Caller } from './caller.js';

export const ADMIN_ACCESS = 'admin:access';

export const AUTH_PERMISSIONS = Object.freeze({
  [ADMIN_ACCESS]: 'Everything, across every tenant (implies every other permission).',
  'tenants:manage': "Create and manage tenants (a partner admin: its partner's tenants).",
  'users:manage': "Manage users (a tenant admin: its tenant's users).",
  'keys:manage': "Create, list and revoke API keys (a tenant admin: its tenant's keys).",
  'models:use': 'Call models (chat, embeddings, model list).',
});

/** True when the granted set includes `permission`, or `admin:access`. */
export function grants(granted: ReadonlySet<string>, permission: string): boolean {
  return granted.has(ADMIN_ACCESS) || granted.has(permission);
}

/**
 * @example if (!hasPermission(caller, 'models:use')) throw new GatewayError('FORBIDDEN', ...)
 */
export function hasPermission(caller: Caller | undefined, permission: string): boolean {
  return caller !== undefined && grants(caller.permissions, permission);
}

/**
 * A key's scopes narrow its owner's permissions: a scope survives only when the roles grant it
 * (so `admin` narrowed to `models:use` is exactly `models:use`). No scopes: the roles' grants.
 */
export function narrowByScopes(granted: ReadonlySet<string>, scopes: readonly string[]): ReadonlySet<string> {
  if (scopes.length === 0) return granted;
  return new Set(scopes.filter((scope) => grants(granted, scope)));
}
