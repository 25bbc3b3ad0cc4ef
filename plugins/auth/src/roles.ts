/**
 * @module roles
 * Role definitions: the defaults merged with the config, each grant checked against the
 * permissions every loaded module declared, so that a typo fails boot instead of silently
 * granting nothing. Roles a principal holds that are not defined grant nothing.
 */
import { ADMIN_ACCESS } from './permissions.js';

/** `'*'` grants every declared permission; a trailing `?` grants only when some module declares it. */
export const DEFAULT_ROLES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  admin: ['*'],
  'partner-admin': ['tenants:manage', 'users:manage', 'keys:manage', 'models:use', 'models:manage?', 'audit:read?', 'usage:read?'],
  'tenant-admin': ['users:manage', 'keys:manage', 'models:use', 'models:manage?', 'audit:read?', 'usage:read?'],
  member: ['models:use'],
});

export class RoleRegistry {
  private readonly roles: ReadonlyMap<string, ReadonlySet<string>>;

  /** Throws naming every role grant of an undeclared permission. */
  constructor(configured: Readonly<Record<string, readonly string[]>>, declared: readonly string[]) {
    const known = new Set(declared);
    const problems: string[] = [];
    const roles = new Map<string, ReadonlySet<string>>();
    for (const [role, grantList] of Object.entries({ ...DEFAULT_ROLES, ...configured })) {
      const granted = new Set<string>();
      for (const grant of grantList) {
        if (grant === '*') for (const name of known) granted.add(name);
        else if (grant.endsWith('?')) {
          if (known.has(grant.slice(0, -1))) granted.add(grant.slice(0, -1));
        } else if (known.has(grant)) granted.add(grant);
        else problems.push(`role '${role}' grants unknown permission '${grant}'`);
      }
      roles.set(role, granted);
    }
    if (problems.length > 0) {
      throw new Error(
        `[AUTH_UNKNOWN_PERMISSION] ${problems.join('; ')}. Declared permissions: ${[...known].sort().join(', ')}. ` +
          "Fix auth.roles in the config, load the module that declares it, or suffix the grant with '?' to make it optional.",
      );
    }
    this.roles = roles;
  }

  has(role: string): boolean {
    return this.roles.has(role);
  }

  names(): string[] {
    return [...this.roles.keys()];
  }

  /** The union of the roles' grants; unknown roles add nothing. */
  permissionsFor(roles: readonly string[]): ReadonlySet<string> {
    const out = new Set<string>();
    for (const role of roles) for (const p of this.roles.get(role) ?? []) out.add(p);
    return out;
  }

  /** Whether `role` grants nothing beyond what `granted` already implies (no privilege escalation). */
  isWithin(role: string, granted: ReadonlySet<string>): boolean {
    if (granted.has(ADMIN_ACCESS)) return true;
    for (const p of this.roles.get(role) ?? []) if (!granted.has(p)) return false;
    return true;
  }
}
