/**
 * @module store/partner-store
 * Partners: resellers or organisational units that own tenants. Looked up by id or slug.
 */
import { newUlid } from '@scaigrid/kernel';
import type { TenantScope } from '../tenancy.js';
import { toPartner, type PartnerRecord } from './records.js';
import { pageOf, type Page, type PageResult, type StoreDeps } from './store-base.js';

export class PartnerStore {
  constructor(private readonly deps: StoreDeps) {}

  private get t() {
    return this.deps.table('partners');
  }

  async list(scope: TenantScope, page: Page): Promise<PageResult<PartnerRecord>> {
    if (scope.kind !== 'all' && scope.kind !== 'partner') return { items: [], nextCursor: null };
    let q = this.deps.db.selectFrom(this.t).selectAll().orderBy('id').limit(page.limit + 1);
    if (scope.kind === 'partner') q = q.where('id', '=', scope.partnerId);
    if (page.after) q = q.where('id', '>', page.after);
    return pageOf((await q.execute()).map(toPartner), page.limit);
  }

  async find(idOrSlug: string): Promise<PartnerRecord | undefined> {
    const row = await this.deps.db
      .selectFrom(this.t)
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrSlug), eb('slug', '=', idOrSlug)]))
      .executeTakeFirst();
    return row ? toPartner(row) : undefined;
  }

  async create(input: { slug: string; name?: string }): Promise<PartnerRecord> {
    const now = Date.now();
    const row = { id: newUlid(), slug: input.slug, name: input.name ?? input.slug, created_at: now, updated_at: now };
    await this.deps.db.insertInto(this.t).values(row).execute();
    return toPartner(row);
  }

  async update(id: string, patch: { slug?: string; name?: string }): Promise<void> {
    await this.deps.db.updateTable(this.t).set({ ...patch, updated_at: Date.now() }).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.deps.db.deleteFrom(this.t).where('id', '=', id).execute();
  }
}
