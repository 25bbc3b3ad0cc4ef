import { ulid } from 'ulid';
import { afterEach, describe, expect, it } from 'vitest';
import { startAuditKernel, type AuditTestKernel } from './helpers.js';

type Row = { id: string; method: string; path: string; status: number; tenant_id: string | null; actor: { id: string | null; key_id: string | null } };

describe('audit: GET /v1/admin/audit and retention', () => {
  let t: AuditTestKernel | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('filters by method, path prefix, status, actor and time, and pages by cursor', async () => {
    t = await startAuditKernel();
    const start = Date.now();
    const member = await t.createKey({ name: 'm', tenant_id: 'acme', roles: ['member'] });
    await t.call('POST', '/v1/modules/probe/echo', { body: { a: 1 } });
    await t.call('DELETE', '/v1/modules/probe/things/1', { as: member.key });
    await t.call('DELETE', '/v1/modules/probe/things/2', { as: member.key });
    await t.call('PATCH', `/v1/admin/keys/${member.id}`, { body: { name: 'renamed' } });
    await t.call('POST', '/v1/admin/keys', { body: { bogus: true } });
    await t.rows();
    const list = async (query: string) => {
      const res = await t!.call('GET', `/v1/admin/audit${query}`);
      expect(res.status).toBe(200);
      return res.body as { data: Row[]; next_cursor: string | null };
    };

    expect((await list('')).data).toHaveLength(6);
    expect((await list('?method=DELETE')).data.map((r) => r.path)).toEqual(['/v1/modules/probe/things/2', '/v1/modules/probe/things/1']);
    expect((await list('?path=/v1/admin/keys')).data.map((r) => r.method)).toEqual(['POST', 'PATCH', 'POST']);
    expect((await list('?status=400')).data.map((r) => r.path)).toEqual(['/v1/admin/keys']);
    expect((await list('?status=2xx')).data).toHaveLength(5);
    expect((await list(`?actor=${member.id}`)).data.every((r) => r.actor.key_id === member.id)).toBe(true);
    expect((await list(`?actor=${member.id}`)).data).toHaveLength(2);
    expect((await list(`?from=${start}&to=${Date.now() + 1000}`)).data).toHaveLength(6);
    expect((await list(`?from=${new Date(Date.now() + 60_000).toISOString()}`)).data).toHaveLength(0);
    // A path prefix is literal: '_' and '%' are not wildcards.
    expect((await list('?path=/v1/modules/probe/things_')).data).toHaveLength(0);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.data.length).toBeLessThanOrEqual(4);
      seen.push(...page.data.map((r) => r.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual((await list('')).data.map((r) => r.id));
    expect([...seen].sort().reverse()).toEqual(seen);

    const bad = await t.call('GET', '/v1/admin/audit?status=abc&from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("'status'");
    expect(bad.body.error.message).toContain("'from'");
  });

  it('shows a tenant admin only its own tenant, and hides other tenants behind 404', async () => {
    t = await startAuditKernel();
    const acmeAdmin = await t.createKey({ name: 'acme-admin', tenant_id: 'acme', roles: ['tenant-admin'] });
    const otherAdmin = await t.createKey({ name: 'other-admin', tenant_id: 'other', roles: ['tenant-admin'] });
    const member = await t.createKey({ name: 'member', tenant_id: 'acme', roles: ['member'] });
    await t.createKey({ name: 'by-acme', roles: ['member'] }, acmeAdmin.key);
    await t.createKey({ name: 'by-other', roles: ['member'] }, otherAdmin.key);
    await t.rows();

    const mine = await t.call('GET', '/v1/admin/audit', { as: acmeAdmin.key });
    expect(mine.status).toBe(200);
    expect(mine.body.data).toHaveLength(1);
    expect(mine.body.data[0].actor.key_id).toBe(acmeAdmin.id);
    expect((await t.call('GET', '/v1/admin/audit?tenant=acme', { as: acmeAdmin.key })).body.data).toHaveLength(1);
    expect((await t.call('GET', '/v1/admin/audit?tenant=other', { as: acmeAdmin.key })).status).toBe(404);
    expect((await t.call('GET', '/v1/admin/audit?tenant=nope', { as: acmeAdmin.key })).status).toBe(404);
    expect((await t.call('GET', '/v1/admin/audit', { as: member.key })).status).toBe(403);

    const everything = await t.call('GET', '/v1/admin/audit');
    expect(everything.body.data).toHaveLength(5);
    expect((await t.call('GET', '/v1/admin/audit?tenant=other')).body.data.map((r: Row) => r.actor.key_id)).toEqual([otherAdmin.id]);
  });

  it('deletes only rows past the retention period, in batches', async () => {
    t = await startAuditKernel({ audit: { retentionDays: 30, purgeBatchSize: 2 } });
    await t.call('POST', '/v1/modules/probe/echo', { body: {} });
    const ctx = t.context('audit');
    const day = 86_400_000;
    const old = [31, 45, 90, 400, 31].map((days) => Date.now() - days * day);
    const keep = [29, 1].map((days) => Date.now() - days * day);
    const row = (at: number) => ({ id: ulid(at), at, actor_kind: 'api_key', method: 'POST', path: '/old', status: 200, request_id: 'r' });
    await ctx.db.insertInto(ctx.table('events')).values([...old, ...keep].map(row)).execute();
    expect(await t.rows()).toHaveLength(8);

    await t.runTask('audit', 'purge-expired');
    const left = await t.rows();
    expect(left).toHaveLength(3);
    for (const r of left) expect(Number(r.at)).toBeGreaterThan(Date.now() - 30 * day);
  });
});
