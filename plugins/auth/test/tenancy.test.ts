/**
 * Tenancy is a wall: a tenant admin sees and manages only its tenant's users and keys, a
 * partner admin only its partner's tenants, and whatever lies behind the wall answers 404
 * (never 403), so its existence does not leak. Nobody grants more than they hold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authServiceRef, type Caller } from '../src/index.js';
import { startAuthKernel, type AuthTestKernel } from './helpers.js';

describe('tenancy', () => {
  let t: AuthTestKernel;
  const ids: Record<string, string> = {};
  const keys: Record<string, { id: string; key: string }> = {};

  beforeAll(async () => {
    t = await startAuthKernel();
    for (const slug of ['p1', 'p2']) ids[slug] = (await t.call('POST', '/v1/admin/partners', { body: { slug } })).body.id;
    for (const [slug, partner] of [['a', 'p1'], ['b', 'p2'], ['c', 'p1']]) {
      const res = await t.call('POST', '/v1/admin/tenants', { body: { slug, name: `Tenant ${slug}`, partner_id: partner } });
      expect(res.status).toBe(201);
      ids[slug] = res.body.id;
    }
    keys.adminA = await t.createKey({ name: 'admin a', tenant_id: 'a', roles: ['tenant-admin'] });
    keys.adminB = await t.createKey({ name: 'admin b', tenant_id: ids.b, roles: ['tenant-admin'] });
    keys.memberA = await t.createKey({ name: 'member a', tenant_id: 'a', roles: ['member'] });
    keys.partner1 = await t.createKey({ name: 'partner 1', partner_id: 'p1', roles: ['partner-admin'] });
    ids.userB = (await t.call('POST', '/v1/admin/users', { body: { email: 'bob@b.example', tenant_id: 'b' } })).body.id;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("a tenant admin lists, reads, revokes and deletes only its own tenant's keys; others are 404", async () => {
    const as = keys.adminA.key;
    const list = await t.call('GET', '/v1/admin/keys', { as });
    expect(list.status).toBe(200);
    expect(list.body.data.map((k: { tenant_id: string }) => k.tenant_id)).toEqual(expect.arrayContaining([ids.a]));
    expect(new Set(list.body.data.map((k: { tenant_id: string }) => k.tenant_id))).toEqual(new Set([ids.a]));
    expect((await t.call('GET', `/v1/admin/keys?tenant_id=${ids.b}`, { as })).body.data).toEqual([]);

    const other = keys.adminB.id;
    for (const [method, path, body] of [
      ['GET', `/v1/admin/keys/${other}`],
      ['POST', `/v1/admin/keys/${other}/revoke`],
      ['PATCH', `/v1/admin/keys/${other}`, { name: 'mine now' }],
      ['DELETE', `/v1/admin/keys/${other}`],
    ] as const) {
      const res = await t.call(method, path, { as, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    // The other tenant's key is untouched.
    expect((await t.call('GET', '/v1/auth/me', { as: keys.adminB.key })).status).toBe(200);
    // Its own tenant's key it may revoke.
    const own = await t.createKey({ name: 'a temp' }, as);
    expect((await t.call('POST', `/v1/admin/keys/${own.id}/revoke`, { as })).status).toBe(200);
  });

  it("a tenant admin creates keys and users only in its tenant, and no stronger than itself", async () => {
    const as = keys.adminA.key;
    const created = await t.call('POST', '/v1/admin/keys', { as, body: { name: 'a app' } });
    expect(created.status).toBe(201);
    expect(created.body.tenant_id).toBe(ids.a);
    expect((await t.call('GET', '/v1/auth/me', { as: created.body.key })).body).toMatchObject({ tenant_id: ids.a, partner_id: ids.p1, scope: 'tenant' });

    expect((await t.call('POST', '/v1/admin/keys', { as, body: { name: 'x', tenant_id: 'b' } })).status).toBe(404);
    expect((await t.call('POST', '/v1/admin/keys', { as, body: { name: 'x', tenant_id: ids.b } })).status).toBe(404);
    expect((await t.call('POST', '/v1/admin/keys', { as, body: { name: 'x', partner_id: 'p1' } })).status).toBe(404);
    expect((await t.call('POST', '/v1/admin/keys', { as, body: { name: 'x', user_id: ids.userB } })).status).toBe(404);
    expect((await t.call('POST', '/v1/admin/users', { as, body: { email: 'eve@b.example', tenant_id: 'b' } })).status).toBe(404);

    const escalate = await t.call('POST', '/v1/admin/keys', { as, body: { name: 'x', roles: ['admin'] } });
    expect(escalate.status).toBe(403);
    expect((await t.call('POST', '/v1/admin/keys', { as, body: { name: 'x', roles: ['partner-admin'] } })).status).toBe(403);
    expect((await t.call('POST', '/v1/admin/users', { as, body: { email: 'root@a.example', roles: ['admin'] } })).status).toBe(403);

    const user = await t.call('POST', '/v1/admin/users', { as, body: { email: 'ann@a.example', name: 'Ann' } });
    expect(user.status).toBe(201);
    expect(user.body).toMatchObject({ tenant_id: ids.a, roles: ['member'] });
    const users = await t.call('GET', '/v1/admin/users', { as });
    expect(users.body.data.map((u: { email: string }) => u.email)).toEqual(['ann@a.example']);
    for (const [method, body] of [['GET'], ['PATCH', { name: 'x' }], ['DELETE']] as const) {
      expect((await t.call(method, `/v1/admin/users/${ids.userB}`, { as, body })).status).toBe(404);
    }

    // A key of the user takes the user's roles; deleting the user deletes the key.
    const userKey = await t.call('POST', '/v1/admin/keys', { as, body: { name: 'ann key', user_id: user.body.id } });
    expect(userKey.status).toBe(201);
    expect((await t.call('GET', '/v1/auth/me', { as: userKey.body.key })).body).toMatchObject({ user_id: user.body.id, roles: ['member'] });
    expect((await t.call('DELETE', `/v1/admin/users/${user.body.id}`, { as })).status).toBe(204);
    expect((await t.call('GET', '/v1/auth/me', { as: userKey.body.key })).status).toBe(401);
  });

  it('a tenant admin cannot manage tenants; a member cannot manage anything', async () => {
    expect((await t.call('GET', '/v1/admin/tenants', { as: keys.adminA.key })).status).toBe(403);
    expect((await t.call('GET', '/v1/admin/partners', { as: keys.adminA.key })).status).toBe(403);
    for (const path of ['/v1/admin/keys', '/v1/admin/users', '/v1/admin/tenants']) {
      expect((await t.call('GET', path, { as: keys.memberA.key })).status, path).toBe(403);
    }
    expect((await t.fetch('/v1/modules/probe/use', { headers: { authorization: `Bearer ${keys.memberA.key}` } })).status).toBe(200);
  });

  it("a partner admin sees only its partner's tenants and their keys", async () => {
    const as = keys.partner1.key;
    const tenants = await t.call('GET', '/v1/admin/tenants', { as });
    expect(tenants.body.data.map((x: { slug: string }) => x.slug).sort()).toEqual(['a', 'c']);
    expect((await t.call('GET', `/v1/admin/tenants/${ids.b}`, { as })).status).toBe(404);
    expect((await t.call('GET', '/v1/admin/tenants/b', { as })).status).toBe(404);
    expect((await t.call('GET', '/v1/admin/tenants/a', { as })).body.id).toBe(ids.a);
    expect((await t.call('PATCH', '/v1/admin/tenants/b', { as, body: { name: 'taken' } })).status).toBe(404);
    expect((await t.call('DELETE', '/v1/admin/tenants/b', { as })).status).toBe(404);

    const created = await t.call('POST', '/v1/admin/tenants', { as, body: { slug: 'd' } });
    expect(created.status).toBe(201);
    expect(created.body.partner_id).toBe(ids.p1);
    expect((await t.call('POST', '/v1/admin/tenants', { as, body: { slug: 'e', partner_id: 'p2' } })).status).toBe(404);
    expect((await t.call('PATCH', '/v1/admin/tenants/d', { as, body: { partner_id: 'p2' } })).status).toBe(404);

    const partners = await t.call('GET', '/v1/admin/partners', { as });
    expect(partners.body.data.map((p: { slug: string }) => p.slug)).toEqual(['p1']);
    expect((await t.call('GET', '/v1/admin/partners/p2', { as })).status).toBe(404);
    expect((await t.call('POST', '/v1/admin/partners', { as, body: { slug: 'p3' } })).status).toBe(403);

    const keyList = await t.call('GET', '/v1/admin/keys?limit=500', { as });
    const owners = new Set(keyList.body.data.map((k: { tenant_id: string | null; partner_id: string | null }) => k.tenant_id ?? `partner:${k.partner_id}`));
    expect(owners.has(ids.a)).toBe(true);
    expect(owners.has(`partner:${ids.p1}`)).toBe(true);
    expect(owners.has(ids.b)).toBe(false);
    expect((await t.call('GET', `/v1/admin/keys/${keys.adminB.id}`, { as })).status).toBe(404);
    expect((await t.call('POST', '/v1/admin/keys', { as, body: { name: 'c app', tenant_id: 'c' } })).status).toBe(201);
    expect((await t.call('POST', '/v1/admin/keys', { as, body: { name: 'b app', tenant_id: 'b' } })).status).toBe(404);
  });

  it('a tenant with users or keys cannot be deleted (409); an empty one can', async () => {
    const res = await t.call('DELETE', '/v1/admin/tenants/b');
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
    await t.call('POST', '/v1/admin/tenants', { body: { slug: 'empty' } });
    expect((await t.call('DELETE', '/v1/admin/tenants/empty')).status).toBe(204);
    expect((await t.call('GET', '/v1/admin/tenants/empty')).status).toBe(404);
    expect((await t.call('POST', '/v1/admin/tenants', { body: { slug: 'a' } })).status).toBe(409);
  });

  it('auth.service exposes the same wall to other modules', async () => {
    const auth = t.context('auth').use(authServiceRef);
    const tenantCaller: Caller = { kind: 'api_key', tenantId: ids.a, partnerId: ids.p1, roles: ['tenant-admin'], permissions: new Set(['keys:manage']) };
    const partnerCaller: Caller = { kind: 'jwt', partnerId: ids.p1, roles: ['partner-admin'], permissions: new Set(['tenants:manage']) };
    const admin: Caller = { kind: 'service', roles: [], permissions: new Set(['admin:access']) };
    expect((await auth.visibleTenant(tenantCaller, 'a')).id).toBe(ids.a);
    await expect(auth.visibleTenant(tenantCaller, 'c')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await auth.visibleTenant(partnerCaller, 'c')).partnerId).toBe(ids.p1);
    await expect(auth.visibleTenant(partnerCaller, 'b')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const partnerVisible = await auth.visibleTenantIds(partnerCaller);
    expect(partnerVisible).toEqual(expect.arrayContaining([ids.a, ids.c]));
    expect(partnerVisible).not.toContain(ids.b);
    expect(await auth.visibleTenantIds(tenantCaller)).toEqual([ids.a]);
    expect(await auth.visibleTenantIds(admin)).toBe('all');
    expect(auth.hasPermission(admin, 'anything:at-all')).toBe(true);
    expect(auth.hasPermission(tenantCaller, 'tenants:manage')).toBe(false);
  });
});
