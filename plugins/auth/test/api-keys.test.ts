/**
 * API keys end to end through the real kernel: create → use → revoke → 401, the credential
 * failures that must all be 401 with the same message, scopes narrowing permissions, the
 * hash (not the secret) in the database, and the cache: no database read once a key is
 * cached, evictions arriving over the event bus.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_CREATED, KEY_REVOKED } from '../src/index.js';
import { bearer, randomKey, startAuthKernel, type AuthTestKernel } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(25);
  }
}

describe('API keys', () => {
  let t: AuthTestKernel;
  beforeAll(async () => {
    t = await startAuthKernel({ auth: { lastUsedFlushSeconds: 1 } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const use = (key: string, header: 'authorization' | 'x-api-key' = 'authorization') =>
    t.fetch('/v1/modules/probe/use', { headers: header === 'authorization' ? bearer(key) : { 'x-api-key': key } });

  it('creates a key whose secret is shown once, uses it, revokes it, then answers 401', async () => {
    const created = await t.call('POST', '/v1/admin/keys', { body: { name: 'app', roles: ['member'] } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^sgk_[0-9A-Za-z]{43}$/);
    expect(created.body.hint).toBe(created.body.key.slice(0, 12));
    expect(created.body.status).toBe('active');

    const ok = await use(created.body.key);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, key_id: created.body.id });

    const read = await t.call('GET', `/v1/admin/keys/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('key');
    expect(read.body).not.toHaveProperty('hash');
    const list = await t.call('GET', '/v1/admin/keys');
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
    expect(JSON.stringify(list.body)).not.toContain('hash');

    const revoked = await t.call('POST', `/v1/admin/keys/${created.body.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    const denied = await use(created.body.key);
    expect(denied.status).toBe(401);
    expect((await denied.json()).error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'Invalid or expired credential.' });
  });

  it('accepts the key in x-api-key (Anthropic clients) as well', async () => {
    const { key } = await t.createKey({ name: 'anthropic-style' });
    expect((await use(key, 'x-api-key')).status).toBe(200);
  });

  it('answers 401 for a missing, unknown, malformed, expired or revoked credential, with one message', async () => {
    const missing = await t.fetch('/v1/modules/probe/use');
    expect(missing.status).toBe(401);
    expect((await missing.json()).error.code).toBe('UNAUTHENTICATED');
    // Without a credential no caller is set and the route decides.
    expect(await (await t.fetch('/v1/modules/probe/open')).json()).toEqual({ caller: null });

    const expiring = await t.createKey({ name: 'short-lived', expires_in_seconds: 1 });
    expect((await use(expiring.key)).status).toBe(200);
    await sleep(1100);

    const messages = new Set<string>();
    for (const token of [randomKey(), 'sgk_', 'not-a-key-at-all', 'a.b.c', expiring.key, '']) {
      const res = await t.fetch('/v1/modules/probe/open', { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, token).toBe(401);
      messages.add((await res.json()).error.message);
    }
    expect([...messages]).toEqual(['Invalid or expired credential.']);
    expect((await t.call('GET', `/v1/admin/keys/${expiring.id}`)).body.status).toBe('expired');
  });

  it('narrows permissions by scopes: 403 FORBIDDEN outside them', async () => {
    const scoped = await t.createKey({ name: 'scoped admin', roles: ['admin'], scopes: ['models:use'] });
    expect((await use(scoped.key)).status).toBe(200);
    const admin = await t.call('GET', '/v1/admin/keys', { as: scoped.key });
    expect(admin.status).toBe(403);
    expect(admin.body.error.code).toBe('FORBIDDEN');
    const me = await t.call('GET', '/v1/auth/me', { as: scoped.key });
    expect(me.body.permissions).toEqual(['models:use']);
    expect(me.body.scope).toBe('none');

    // A scope the roles do not grant adds nothing.
    const member = await t.createKey({ name: 'member', roles: ['member'], scopes: ['keys:manage'] });
    expect((await t.call('GET', '/v1/auth/me', { as: member.key })).body.permissions).toEqual([]);
    expect((await use(member.key)).status).toBe(403);
  });

  it('stores only the SHA-256 of the key; the secret appears nowhere in the table', async () => {
    const { id, key } = await t.createKey({ name: 'hash-check' });
    const ctx = t.context('auth');
    const rows = await ctx.db.selectFrom(ctx.table('api_keys')).selectAll().execute();
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(key.slice(4));
    const row = rows.find((r) => r.id === id)!;
    expect(row.hash).toBe(createHash('sha256').update(key).digest('hex'));
  });

  it('serves a cached key without reading the database and evicts it on an auth.key.revoked broadcast', async () => {
    const { id, key } = await t.createKey({ name: 'cached' });
    expect((await use(key)).status).toBe(200);
    const ctx = t.context('auth');
    // Revoked behind the gateway's back: only a database read would notice.
    await ctx.db.updateTable(ctx.table('api_keys')).set({ revoked_at: Date.now() }).where('id', '=', id).execute();
    for (let i = 0; i < 3; i++) expect((await use(key)).status).toBe(200);

    await ctx.events.publish(KEY_REVOKED, { keyId: id });
    await waitFor(async () => (await use(key)).status === 401);
  });

  it('remembers unknown keys until a key is created (negative cache, evicted by auth.key.created)', async () => {
    const secret = randomKey();
    expect((await use(secret)).status).toBe(401);
    const ctx = t.context('auth');
    await ctx.db
      .insertInto(ctx.table('api_keys'))
      .values({ id: 'manual-key', name: 'manual', hint: secret.slice(0, 12), hash: createHash('sha256').update(secret).digest('hex'), roles: '["member"]', scopes: '[]', created_at: Date.now() })
      .execute();
    expect((await use(secret)).status).toBe(401);
    await ctx.events.publish(KEY_CREATED, {});
    await waitFor(async () => (await use(secret)).status === 200);
  });

  it('updates a key (scopes, name) and the change applies at once', async () => {
    const { id, key } = await t.createKey({ name: 'to-update', roles: ['tenant-admin'] });
    expect((await t.call('GET', '/v1/admin/keys', { as: key })).status).toBe(200);
    const patched = await t.call('PATCH', `/v1/admin/keys/${id}`, { body: { name: 'renamed', scopes: ['models:use'] } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'renamed', scopes: ['models:use'] });
    expect((await t.call('GET', '/v1/admin/keys', { as: key })).status).toBe(403);
    expect((await t.call('DELETE', `/v1/admin/keys/${id}`)).status).toBe(204);
    expect((await use(key)).status).toBe(401);
    expect((await t.call('GET', `/v1/admin/keys/${id}`)).status).toBe(404);
  });

  it('rejects bad bodies with 400 VALIDATION_ERROR naming the field, and creates nothing', async () => {
    const before = (await t.call('GET', '/v1/admin/keys?limit=500')).body.data.length;
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 5 }, "'name'"],
      [{ name: 'x', roles: ['nope'] }, "'roles.0'"],
      [{ name: 'x', scopes: ['models:use', 'made:up'] }, "'scopes.1'"],
      [{ name: 'x', colour: 'red' }, "'colour'"],
      [{ name: 'x', expires_at: '2001-01-01T00:00:00Z' }, "'expires_at'"],
    ];
    for (const [body, field] of cases) {
      const res = await t.call('POST', '/v1/admin/keys', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.message).toContain(field);
    }
    const notJson = await t.fetch('/v1/admin/keys', { method: 'POST', headers: { ...bearer(t.adminKey), 'content-type': 'application/json' }, body: '{' });
    expect(notJson.status).toBe(400);
    expect((await t.call('GET', '/v1/admin/keys?limit=500')).body.data.length).toBe(before);
    expect((await t.call('GET', '/v1/admin/keys/01NOSUCHKEY')).status).toBe(404);
  });

  it('rejects a JWT-shaped token when no issuer is configured', async () => {
    const res = await t.fetch('/v1/auth/me', { headers: bearer('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln') });
    expect(res.status).toBe(401);
  });

  it('records last_used_at in a batch off the request path', async () => {
    const { id, key } = await t.createKey({ name: 'used' });
    expect((await t.call('GET', `/v1/admin/keys/${id}`)).body.last_used_at).toBeNull();
    await use(key);
    await waitFor(async () => (await t.call('GET', `/v1/admin/keys/${id}`)).body.last_used_at !== null, 4000);
  });
});
