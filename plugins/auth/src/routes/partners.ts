/**
 * @module routes/partners
 * `/v1/admin/partners`: reading needs `tenants:manage` (a partner admin sees its own
 * partner only), changing needs `admin:access`. A partner that still owns tenants, users or
 * keys cannot be deleted (409).
 */
import { Hono } from 'hono';
import { GatewayError } from '@scaigrid/kernel';
import { z } from 'zod';
import { ADMIN_ACCESS } from '../permissions.js';
import { isUniqueViolation, type PartnerRecord } from '../store/records.js';
import { canSeePartner, tenantScope } from '../tenancy.js';
import type { AdminDeps } from './admin-deps.js';
import { iso, nameField, notFound, pageFrom, pageQuery, readBody, readQuery, slugField } from './http-helpers.js';

const createSchema = z.strictObject({ slug: slugField, name: nameField.optional() });
const updateSchema = z.strictObject({ slug: slugField.optional(), name: nameField.optional() });

export const partnerJson = (p: PartnerRecord) => ({ id: p.id, slug: p.slug, name: p.name, created_at: iso(p.createdAt), updated_at: iso(p.updatedAt) });

const slugTaken = (slug: string) => new GatewayError('CONFLICT', `A partner with slug '${slug}' already exists.`);

export function partnerRoutes(deps: AdminDeps): Hono {
  const app = new Hono();
  const read = deps.auth.requirePermission('tenants:manage');
  const write = deps.auth.requirePermission(ADMIN_ACCESS);

  const visible = async (c: Parameters<typeof read>[0], id: string) => {
    const partner = await deps.partners.find(id);
    if (!partner || !canSeePartner(deps.auth.caller(c), partner.id)) throw notFound('Partner', id);
    return partner;
  };

  app.get('/', read, async (c) => {
    const page = await deps.partners.list(tenantScope(deps.auth.caller(c)), pageFrom(readQuery(c, pageQuery)));
    return c.json({ data: page.items.map(partnerJson), next_cursor: page.nextCursor });
  });

  app.get('/:id', read, async (c) => c.json(partnerJson(await visible(c, c.req.param('id')))));

  app.post('/', write, async (c) => {
    const body = await readBody(c, createSchema);
    try {
      return c.json(partnerJson(await deps.partners.create(body)), 201);
    } catch (err) {
      if (isUniqueViolation(err)) throw slugTaken(body.slug);
      throw err;
    }
  });

  app.patch('/:id', write, async (c) => {
    const body = await readBody(c, updateSchema);
    const partner = await visible(c, c.req.param('id'));
    try {
      await deps.partners.update(partner.id, body);
    } catch (err) {
      if (isUniqueViolation(err) && body.slug) throw slugTaken(body.slug);
      throw err;
    }
    return c.json(partnerJson((await deps.partners.find(partner.id))!));
  });

  app.delete('/:id', write, async (c) => {
    const partner = await visible(c, c.req.param('id'));
    const owned =
      (await deps.tenants.list({ kind: 'partner', partnerId: partner.id }, { limit: 1 })).items.length +
      (await deps.keys.countOwnedBy('partner_id', partner.id)) +
      (await deps.users.list({ kind: 'partner', partnerId: partner.id }, { limit: 1 })).items.length;
    if (owned > 0) throw new GatewayError('CONFLICT', `Partner '${partner.slug}' still owns tenants, users or keys; delete or move them first.`);
    await deps.partners.delete(partner.id);
    await deps.invalidation.principalChanged({ partnerId: partner.id });
    return c.body(null, 204);
  });

  return app;
}
