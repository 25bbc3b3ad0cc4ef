/**
 * @module store/api-key-store
 * API keys: only the SHA-256 of a key is stored (`hash`, unique), with a short `hint` for
 * display. Nothing here returns a hash to the admin API; `findForAuth` is the one read that
 * does, for the authenticator, and it joins what a caller needs (the user's roles, the
 * tenant's partner) so that a cache fill is a single query.
 */
import { newUlid } from '@scaigrid/kernel';
import type { TenantScope } from '../tenancy.js';
import { parseList, toApiKey, type ApiKeyRecord } from './records.js';
import { ownedRowsFilter, pageOf, type Page, type PageResult, type StoreDeps } from './store-base.js';

export interface NewApiKey {
  id?: string;
  tenantId: string | null;
  partnerId: string | null;
  userId: string | null;
  name: string;
  hint: string;
  hash: string;
  roles: string[];
  scopes: string[];
  expiresAt: number | null;
}

/** Everything the authenticator needs about a key, read in one query. */
export interface KeyForAuth {
  key: ApiKeyRecord;
  hash: string;
  /** Roles of the owning user (used when the key names none). */
  userRoles: string[];
  /** Partner of the key's tenant, so a tenant caller carries its partner too. */
  tenantPartnerId: string | null;
}

const PUBLIC_COLUMNS = ['id', 'tenant_id', 'partner_id', 'user_id', 'name', 'hint', 'roles', 'scopes', 'expires_at', 'revoked_at', 'created_at', 'last_used_at'] as const;

export class ApiKeyStore {
  constructor(private readonly deps: StoreDeps) {}

  private get t() {
    return this.deps.table('api_keys');
  }

  async list(scope: TenantScope, page: Page, filter: { tenantId?: string; userId?: string } = {}): Promise<PageResult<ApiKeyRecord>> {
    let q = this.deps.db
      .selectFrom(this.t)
      .select([...PUBLIC_COLUMNS])
      .where(ownedRowsFilter(this.deps.table('tenants'), scope))
      .orderBy('id')
      .limit(page.limit + 1);
    if (filter.tenantId) q = q.where('tenant_id', '=', filter.tenantId);
    if (filter.userId) q = q.where('user_id', '=', filter.userId);
    if (page.after) q = q.where('id', '>', page.after);
    return pageOf((await q.execute()).map(toApiKey), page.limit);
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.deps.db.selectFrom(this.t).select([...PUBLIC_COLUMNS]).where('id', '=', id).executeTakeFirst();
    return row ? toApiKey(row) : undefined;
  }

  async findForAuth(hash: string): Promise<KeyForAuth | undefined> {
    const k = this.t;
    const u = this.deps.table('users');
    const tn = this.deps.table('tenants');
    const row = await this.deps.db
      .selectFrom(`${k} as k`)
      .leftJoin(`${u} as u`, 'u.id', 'k.user_id')
      .leftJoin(`${tn} as tn`, 'tn.id', 'k.tenant_id')
      .select(PUBLIC_COLUMNS.map((c) => `k.${c}` as const))
      .select(['k.hash as hash', 'u.roles as user_roles', 'tn.partner_id as tenant_partner_id'])
      .where('k.hash', '=', hash)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      key: toApiKey(row),
      hash: String(row.hash),
      userRoles: parseList(row.user_roles),
      tenantPartnerId: row.tenant_partner_id == null ? null : String(row.tenant_partner_id),
    };
  }

  async count(): Promise<number> {
    const row = await this.deps.db.selectFrom(this.t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async existsWithHash(hash: string): Promise<boolean> {
    return (await this.deps.db.selectFrom(this.t).select('id').where('hash', '=', hash).executeTakeFirst()) !== undefined;
  }

  async countOwnedBy(column: 'tenant_id' | 'partner_id' | 'user_id', id: string): Promise<number> {
    const row = await this.deps.db.selectFrom(this.t).select((eb) => eb.fn.countAll().as('n')).where(column, '=', id).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async idsOfUser(userId: string): Promise<string[]> {
    return (await this.deps.db.selectFrom(this.t).select('id').where('user_id', '=', userId).execute()).map((r) => String(r.id));
  }

  async create(input: NewApiKey): Promise<ApiKeyRecord> {
    const row = {
      id: input.id ?? newUlid(),
      tenant_id: input.tenantId,
      partner_id: input.partnerId,
      user_id: input.userId,
      name: input.name,
      hint: input.hint,
      hash: input.hash,
      roles: JSON.stringify(input.roles),
      scopes: JSON.stringify(input.scopes),
      expires_at: input.expiresAt,
      revoked_at: null,
      created_at: Date.now(),
      last_used_at: null,
    };
    await this.deps.db.insertInto(this.t).values(row).execute();
    return toApiKey(row);
  }

  async update(id: string, patch: { name?: string; roles?: string[]; scopes?: string[]; expiresAt?: number | null }): Promise<void> {
    const values: Record<string, unknown> = {};
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.roles !== undefined) values.roles = JSON.stringify(patch.roles);
    if (patch.scopes !== undefined) values.scopes = JSON.stringify(patch.scopes);
    if (patch.expiresAt !== undefined) values.expires_at = patch.expiresAt;
    if (Object.keys(values).length > 0) await this.deps.db.updateTable(this.t).set(values).where('id', '=', id).execute();
  }

  /** Sets revoked_at once; a second revoke keeps the first time. */
  async revoke(id: string, at = Date.now()): Promise<void> {
    await this.deps.db.updateTable(this.t).set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
  }

  async delete(id: string): Promise<void> {
    await this.deps.db.deleteFrom(this.t).where('id', '=', id).execute();
  }

  async deleteOfUser(userId: string): Promise<void> {
    await this.deps.db.deleteFrom(this.t).where('user_id', '=', userId).execute();
  }

  /** One write per flush, off the request path: each key gets the latest time it was seen. */
  async recordLastUsed(times: ReadonlyMap<string, number>): Promise<void> {
    for (const [id, at] of times) {
      await this.deps.db.updateTable(this.t).set({ last_used_at: at }).where('id', '=', id).execute();
    }
  }
}
