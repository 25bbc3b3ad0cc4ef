/**
 * @module events
 * Topics the auth module publishes (broadcast, so every instance hears them) to evict cached
 * keys. A change is written to the database first and announced second; each instance also
 * evicts locally at once, so the instance that made the change never serves stale data.
 */

/** A key was revoked: `{ keyId }`. */
export const KEY_REVOKED = 'auth.key.revoked';
/** A key was updated or deleted: `{ keyId }`. */
export const KEY_CHANGED = 'auth.key.changed';
/** A key was created: forget cached "unknown key" answers (a seeded or bootstrap key may have been tried before). */
export const KEY_CREATED = 'auth.key.created';
/** A user's roles, a tenant's partner, or an owner's existence changed: evict the keys it owns. */
export const PRINCIPAL_CHANGED = 'auth.principal.changed';

export interface KeyEvent {
  keyId: string;
}

export interface PrincipalEvent {
  userId?: string;
  tenantId?: string;
  partnerId?: string;
}
