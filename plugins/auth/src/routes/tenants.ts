/**
 * @module routes/tenants
 * `/v1/admin/tenants` (`tenants:manage`): a global admin manages every tenant, a partner
 * admin its partner's tenants (new tenants land in its partner). A caller bound to a tenant
 * may read and rename its own tenant but neither create nor delete tenants. A tenant that
 * still has users or keys cannot be deleted (409).
 */
import { Hono, type Context } from 'hono';
import { GatewayError } from '@scaigrid/kernel';
import { z } from 'zod';
import { isUniqueViolation, type TenantRecord } from '../store/records.js';
import { canSeePartner, canSeeTenant, tenantScope } from '../tenancy.js';
import type { AdminDeps } from './admin-deps.js';
import { iso, nameField, notFound, pageFrom, pageQuery, readBody, readQuery, slugField } from './http-helpers.js';

const createSchema = z.strictObject({ slug: slugField, name: nameField.optional(), partner_id: z.string().min(1).optional() });
const updateSchema = z.strictObject({ slug: slugField.optional(), name: nameField.optional(), partner_id: z.string().min(1).nullable().optional() });
const listQuery = pageQuery.extend({ partner_id: z.string().min(1).optional() });

export const tenantJson = (t: TenantRecord) => ({
  id: t.id,
  slug: t.slug,
  name: t.name,
  partner_id: t.partnerId,
  created_at: iso(t.createdAt),
  updated_at: iso(t.updatedAt),
});

const slugTaken = (slug: string) => new GatewayError('CONFLICT', `A tenant with slug '${slug}' already exists.`);

export function tenantRoutes(deps: AdminDeps): Hono {
  const app = new Hono();
  app.use('*', deps.auth.requirePermission('tenants:manage'));

  const visible = async (c: Context, id: string) => {
    const tenant = await deps.tenants.find(id);
    if (!tenant || !canSeeTenant(deps.auth.caller(c), tenant)) throw notFound('Tenant', id);
    return tenant;
  };

  /** The partner a tenant may be placed under by this caller (by id or slug), or 404. */
  const visiblePartner = async (c: Context, idOrSlug: string) => {
    const partner = await deps.partners.find(idOrSlug);
    if (!partner || !canSeePartner(deps.auth.caller(c), partner.id)) throw notFound('Partner', idOrSlug);
    return partner.id;
  };

  app.get('/', async (c) => {
    const query = readQuery(c, listQuery);
    const partnerId = query.partner_id ? (await deps.partners.find(query.partner_id))?.id ?? query.partner_id : undefined;
    const page = await deps.tenants.list(tenantScope(deps.auth.caller(c)), pageFrom(query), { partnerId });
    return c.json({ data: page.items.map(tenantJson), next_cursor: page.nextCursor });
  });

  app.get('/:id', async (c) => c.json(tenantJson(await visible(c, c.req.param('id')))));

  app.post('/', async (c) => {
    const body = await readBody(c, createSchema);
    const scope = tenantScope(deps.auth.caller(c));
    if (scope.kind !== 'all' && scope.kind !== 'partner') throw new GatewayError('FORBIDDEN', 'Only a partner admin or a global admin can create tenants.');
    const partnerId = body.partner_id ? await visiblePartner(c, body.partner_id) : scope.kind === 'partner' ? scope.partnerId : null;
    try {
      return c.json(tenantJson(await deps.tenants.create({ slug: body.slug, name: body.name, partnerId })), 201);
    } catch (err) {
      if (isUniqueViolation(err)) throw slugTaken(body.slug);
      throw err;
    }
  });

  app.patch('/:id', async (c) => {
    const body = await readBody(c, updateSchema);
    const tenant = await visible(c, c.req.param('id'));
    let partnerId: string | null | undefined;
    if (body.partner_id !== undefined) {
      const scope = tenantScope(deps.auth.caller(c));
      if (scope.kind !== 'all' && body.partner_id === null) throw new GatewayError('FORBIDDEN', 'Only a global admin can detach a tenant from its partner.');
      partnerId = body.partner_id === null ? null : await visiblePartner(c, body.partner_id);
      if (scope.kind === 'tenant' && partnerId !== tenant.partnerId) throw new GatewayError('FORBIDDEN', 'A tenant cannot move itself to another partner.');
    }
    try {
      await deps.tenants.update(tenant.id, { slug: body.slug, name: body.name, partnerId });
    } catch (err) {
      if (isUniqueViolation(err) && body.slug) throw slugTaken(body.slug);
      throw err;
    }
    // Keys of the tenant carry its partner in their cached caller.
    if (partnerId !== undefined && partnerId !== tenant.partnerId) await deps.invalidation.principalChanged({ tenantId: tenant.id });
    return c.json(tenantJson((await deps.tenants.find(tenant.id))!));
  });

  app.delete('/:id', async (c) => {
    const tenant = await visible(c, c.req.param('id'));
    if (tenantScope(deps.auth.caller(c)).kind === 'tenant') throw new GatewayError('FORBIDDEN', 'A tenant cannot delete itself; ask its partner or a global admin.');
    const owned = (await deps.users.countInTenant(tenant.id)) + (await deps.keys.countOwnedBy('tenant_id', tenant.id));
    if (owned > 0) throw new GatewayError('CONFLICT', `Tenant '${tenant.slug}' still has users or keys; delete them first.`);
    await deps.tenants.delete(tenant.id);
    await deps.invalidation.principalChanged({ tenantId: tenant.id });
    return c.body(null, 204);
  });

  return app;
}
