/**
 * @module store/user-store
 * Users: people (or apps) of a tenant, of a partner, or global, each with roles. Keys may
 * belong to a user and then act with the user's roles unless the key names its own.
 */
import { newUlid } from '@scaigrid/kernel';
import type { TenantScope } from '../tenancy.js';
import { toUser, type UserRecord } from './records.js';
import { ownedRowsFilter, pageOf, type Page, type PageResult, type StoreDeps } from './store-base.js';

export interface NewUser {
  tenantId: string | null;
  partnerId: string | null;
  email: string;
  name?: string | null;
  roles: string[];
}

export class UserStore {
  constructor(private readonly deps: StoreDeps) {}

  private get t() {
    return this.deps.table('users');
  }

  async list(scope: TenantScope, page: Page, filter: { tenantId?: string } = {}): Promise<PageResult<UserRecord>> {
    let q = this.deps.db
      .selectFrom(this.t)
      .selectAll()
      .where(ownedRowsFilter(this.deps.table('tenants'), scope))
      .orderBy('id')
      .limit(page.limit + 1);
    if (filter.tenantId) q = q.where('tenant_id', '=', filter.tenantId);
    if (page.after) q = q.where('id', '>', page.after);
    return pageOf((await q.execute()).map(toUser), page.limit);
  }

  async get(id: string): Promise<UserRecord | undefined> {
    const row = await this.deps.db.selectFrom(this.t).selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async findByEmail(tenantId: string | null, email: string): Promise<UserRecord | undefined> {
    const row = await this.deps.db
      .selectFrom(this.t)
      .selectAll()
      .where('email', '=', email)
      .where('tenant_id', tenantId === null ? 'is' : '=', tenantId)
      .executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async countInTenant(tenantId: string): Promise<number> {
    const row = await this.deps.db.selectFrom(this.t).select((eb) => eb.fn.countAll().as('n')).where('tenant_id', '=', tenantId).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async create(input: NewUser): Promise<UserRecord> {
    const now = Date.now();
    const row = {
      id: newUlid(),
      tenant_id: input.tenantId,
      partner_id: input.partnerId,
      email: input.email,
      name: input.name ?? null,
      roles: JSON.stringify(input.roles),
      created_at: now,
      updated_at: now,
    };
    await this.deps.db.insertInto(this.t).values(row).execute();
    return toUser(row);
  }

  async update(id: string, patch: { email?: string; name?: string | null; roles?: string[] }): Promise<void> {
    const values: Record<string, unknown> = { updated_at: Date.now() };
    if (patch.email !== undefined) values.email = patch.email;
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.roles !== undefined) values.roles = JSON.stringify(patch.roles);
    await this.deps.db.updateTable(this.t).set(values).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.deps.db.deleteFrom(this.t).where('id', '=', id).execute();
  }
}
