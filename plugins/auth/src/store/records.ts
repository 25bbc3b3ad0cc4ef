/**
 * @module store/records
 * The auth module's records as the rest of the code sees them (camelCase, parsed lists), the
 * mapping from database rows, and the few database facts both dialects must agree on
 * (unique and foreign-key violations look different in SQLite and MariaDB).
 */

export interface PartnerRecord {
  id: string;
  slug: string;
  name: string;
  createdAt: number;
  updatedAt: number;
}

export interface TenantRecord {
  id: string;
  slug: string;
  name: string;
  partnerId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface UserRecord {
  id: string;
  tenantId: string | null;
  partnerId: string | null;
  email: string;
  name: string | null;
  roles: string[];
  createdAt: number;
  updatedAt: number;
}

/** An API key without its hash: what the admin API may show. */
export interface ApiKeyRecord {
  id: string;
  tenantId: string | null;
  partnerId: string | null;
  userId: string | null;
  name: string;
  hint: string;
  roles: string[];
  scopes: string[];
  expiresAt: number | null;
  revokedAt: number | null;
  createdAt: number;
  lastUsedAt: number | null;
}

/** Who owns a record, for tenancy checks: a tenant (and that tenant's partner), a partner, or nobody (global). */
export interface Owner {
  tenantId: string | null;
  partnerId: string | null;
}

type Row = Record<string, unknown>;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function parseList(v: unknown): string[] {
  if (typeof v !== 'string' || v === '') return [];
  const parsed: unknown = JSON.parse(v);
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

export const toPartner = (r: Row): PartnerRecord => ({
  id: String(r.id),
  slug: String(r.slug),
  name: String(r.name),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

export const toTenant = (r: Row): TenantRecord => ({
  id: String(r.id),
  slug: String(r.slug),
  name: String(r.name),
  partnerId: strOrNull(r.partner_id),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

export const toUser = (r: Row): UserRecord => ({
  id: String(r.id),
  tenantId: strOrNull(r.tenant_id),
  partnerId: strOrNull(r.partner_id),
  email: String(r.email),
  name: strOrNull(r.name),
  roles: parseList(r.roles),
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

export const toApiKey = (r: Row): ApiKeyRecord => ({
  id: String(r.id),
  tenantId: strOrNull(r.tenant_id),
  partnerId: strOrNull(r.partner_id),
  userId: strOrNull(r.user_id),
  name: String(r.name),
  hint: String(r.hint),
  roles: parseList(r.roles),
  scopes: parseList(r.scopes),
  expiresAt: numOrNull(r.expires_at),
  revokedAt: numOrNull(r.revoked_at),
  createdAt: num(r.created_at),
  lastUsedAt: numOrNull(r.last_used_at),
});

/** Both dialects: SQLite says `UNIQUE constraint failed`, MariaDB errno 1062 (ER_DUP_ENTRY). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; message?: string };
  return e?.errno === 1062 || e?.code === 'ER_DUP_ENTRY' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || /UNIQUE constraint failed/.test(e?.message ?? '');
}

/** Both dialects: SQLite `FOREIGN KEY constraint failed`, MariaDB errno 1451/1452. */
export function isForeignKeyViolation(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; message?: string };
  return e?.errno === 1451 || e?.errno === 1452 || e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || /FOREIGN KEY constraint failed/.test(e?.message ?? '');
}
