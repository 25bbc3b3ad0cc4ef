/**
 * @module store/tenant-store
 * Tenants: the unit of isolation. Every user and key of a tenant sees only that tenant.
 */
import { newUlid } from '@scaigrid/kernel';
import type { TenantScope } from '../tenancy.js';
import { toTenant, type TenantRecord } from './records.js';
import { pageOf, tenantsFilter, type Page, type PageResult, type StoreDeps } from './store-base.js';

export class TenantStore {
  constructor(private readonly deps: StoreDeps) {}

  private get t() {
    return this.deps.table('tenants');
  }

  async list(scope: TenantScope, page: Page, filter: { partnerId?: string } = {}): Promise<PageResult<TenantRecord>> {
    let q = this.deps.db.selectFrom(this.t).selectAll().where(tenantsFilter(scope)).orderBy('id').limit(page.limit + 1);
    if (filter.partnerId) q = q.where('partner_id', '=', filter.partnerId);
    if (page.after) q = q.where('id', '>', page.after);
    return pageOf((await q.execute()).map(toTenant), page.limit);
  }

  async find(idOrSlug: string): Promise<TenantRecord | undefined> {
    const row = await this.deps.db
      .selectFrom(this.t)
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrSlug), eb('slug', '=', idOrSlug)]))
      .executeTakeFirst();
    return row ? toTenant(row) : undefined;
  }

  /** Ids of every tenant the scope sees (for other plugins' list filters). */
  async visibleIds(scope: TenantScope): Promise<string[]> {
    const rows = await this.deps.db.selectFrom(this.t).select('id').where(tenantsFilter(scope)).execute();
    return rows.map((r) => String(r.id));
  }

  async create(input: { slug: string; name?: string; partnerId?: string | null }): Promise<TenantRecord> {
    const now = Date.now();
    const row = { id: newUlid(), slug: input.slug, name: input.name ?? input.slug, partner_id: input.partnerId ?? null, created_at: now, updated_at: now };
    await this.deps.db.insertInto(this.t).values(row).execute();
    return toTenant(row);
  }

  async update(id: string, patch: { slug?: string; name?: string; partnerId?: string | null }): Promise<void> {
    const { partnerId, ...rest } = patch;
    const values: Record<string, unknown> = { ...rest, updated_at: Date.now() };
    if (partnerId !== undefined) values.partner_id = partnerId;
    await this.deps.db.updateTable(this.t).set(values).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.deps.db.deleteFrom(this.t).where('id', '=', id).execute();
  }
}
