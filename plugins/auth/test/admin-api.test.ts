/**
 * The admin API's plain CRUD paths as a global admin: partners, tenants and users, updates
 * taking effect on cached keys at once, and conflicts answered 409.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthKernel, type AuthTestKernel } from './helpers.js';

describe('admin API', () => {
  let t: AuthTestKernel;
  beforeAll(async () => {
    t = await startAuthKernel();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('creates, renames and deletes a partner; one that owns tenants is 409', async () => {
    const created = await t.call('POST', '/v1/admin/partners', { body: { slug: 'reseller', name: 'Reseller' } });
    expect(created.status).toBe(201);
    expect((await t.call('POST', '/v1/admin/partners', { body: { slug: 'reseller' } })).status).toBe(409);
    const renamed = await t.call('PATCH', '/v1/admin/partners/reseller', { body: { name: 'Reseller GmbH' } });
    expect(renamed.body).toMatchObject({ id: created.body.id, name: 'Reseller GmbH' });
    await t.call('POST', '/v1/admin/tenants', { body: { slug: 'shop', partner_id: created.body.id } });
    expect((await t.call('DELETE', '/v1/admin/partners/reseller')).status).toBe(409);
    expect((await t.call('DELETE', '/v1/admin/tenants/shop')).status).toBe(204);
    expect((await t.call('DELETE', '/v1/admin/partners/reseller')).status).toBe(204);
    expect((await t.call('GET', `/v1/admin/partners/${created.body.id}`)).status).toBe(404);
    expect((await t.call('POST', '/v1/admin/partners', { body: { slug: 'Bad Slug!' } })).body.error.message).toContain("'slug'");
  });

  it("changing a user's roles changes what the user's keys may do, at once", async () => {
    const user = await t.call('POST', '/v1/admin/users', { body: { email: 'dev@default.example', tenant_id: 'default' } });
    expect(user.status).toBe(201);
    expect((await t.call('POST', '/v1/admin/users', { body: { email: 'dev@default.example', tenant_id: 'default' } })).status).toBe(409);
    const { key } = await t.createKey({ name: 'dev key', user_id: user.body.id });
    expect((await t.call('GET', '/v1/admin/users', { as: key })).status).toBe(403);
    const patched = await t.call('PATCH', `/v1/admin/users/${user.body.id}`, { body: { roles: ['tenant-admin'] } });
    expect(patched.body.roles).toEqual(['tenant-admin']);
    const listed = await t.call('GET', '/v1/admin/users', { as: key });
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((u: { email: string }) => u.email)).toEqual(['dev@default.example']);
    expect((await t.call('PATCH', `/v1/admin/users/${user.body.id}`, { body: { roles: ['ghost'] } })).status).toBe(400);
  });

  it('pages lists with limit and after', async () => {
    for (const slug of ['t1', 't2', 't3']) await t.call('POST', '/v1/admin/tenants', { body: { slug } });
    const first = await t.call('GET', '/v1/admin/tenants?limit=2');
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toBe(first.body.data[1].id);
    const rest = await t.call('GET', `/v1/admin/tenants?limit=2&after=${first.body.next_cursor}`);
    const all = [...first.body.data, ...rest.body.data].map((x: { slug: string }) => x.slug);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(expect.arrayContaining(['default', 't1', 't2', 't3']));
    expect((await t.call('GET', '/v1/admin/tenants?limit=0')).status).toBe(400);
  });
});
