/**
 * @module caller
 * Who is calling: set by the auth plugin's `authenticate` middleware on `c.var.caller` and
 * read by every other plugin (routing visibility, limits, budgets, audit).
 */

export interface Caller {
  /** How the caller proved itself. */
  kind: 'api_key' | 'jwt' | 'service';
  /** API key id (never the secret), for kind `api_key`. */
  keyId?: string;
  /** Key name or service token name, for logs and audit (never a secret). */
  name?: string;
  userId?: string;
  tenantId?: string;
  partnerId?: string;
  roles: readonly string[];
  /** Effective permissions (roles' grants, narrowed by a key's scopes). */
  permissions: ReadonlySet<string>;
}

declare module 'hono' {
  interface ContextVariableMap {
    caller?: Caller;
  }
}
