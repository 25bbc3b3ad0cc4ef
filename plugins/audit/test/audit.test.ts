import { afterEach, describe, expect, it } from 'vitest';
import { BOOTSTRAP_KEY_ID } from '@scaigrid/plugin-auth';
import { bearer, startAuditKernel, type AuditTestKernel } from './helpers.js';

describe('audit: recording', () => {
  let t: AuditTestKernel | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('records creating an API key once, naming the actor, and stores the secret nowhere (table or logs)', async () => {
    t = await startAuditKernel();
    const res = await t.fetch('/v1/admin/keys', { method: 'POST', headers: { ...bearer(t.adminKey), 'x-request-id': 'req-audit-1' }, body: { name: 'ci', tenant_id: 'acme', roles: ['member'] } });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; key: string };
    expect(created.key).toMatch(/^sgk_/);

    const rows = await t.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_kind: 'api_key',
      actor_id: BOOTSTRAP_KEY_ID,
      key_id: BOOTSTRAP_KEY_ID,
      method: 'POST',
      path: '/v1/admin/keys',
      status: 201,
      request_id: 'req-audit-1',
    });
    expect(JSON.parse(String(rows[0]!.summary))).toEqual({ name: 'ci', tenant_id: 'acme', roles: ['member'] });

    // Use the new key once so its secret passes through authentication (and its logs) too.
    expect((await t.call('DELETE', '/v1/modules/probe/things/1', { as: created.key })).status).toBe(204);
    const all = JSON.stringify(await t.rows());
    expect(all).not.toContain(created.key);
    expect(all).not.toContain(t.adminKey);
    const logs = t.logLines.join('\n');
    expect(t.logLines.length).toBeGreaterThan(0);
    expect(logs).not.toContain(created.key);
    expect(logs).not.toContain(t.adminKey);
    expect(logs).not.toContain(created.key.slice(4, 20));
  });

  it('redacts secret-looking names and values from the summary', async () => {
    t = await startAuditKernel();
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXZhbHVl';
    const body = {
      name: 'visible',
      password: 'hunter2-pass',
      nested: { api_key: 'plain-api-key-value', clientSecret: 'cs-value', count: 3, list: ['ok', 'sgk_AAAAAAAAAAAAAAAAAAAAAAAA'] },
      note: `Bearer opaque-token-value`,
      idToken: jwt,
      comment: `the token is ${jwt}`,
      Authorization: 'Basic dXNlcjpwYXNz',
      credentials: { user: 'u', pass: 'p' },
    };
    expect((await t.call('POST', '/v1/modules/probe/echo', { body })).status).toBe(201);
    const [row] = await t.rows();
    const summary = String(row!.summary);
    for (const secret of ['hunter2-pass', 'plain-api-key-value', 'cs-value', 'sgk_AAAA', 'opaque-token-value', jwt, 'dXNlcjpwYXNz', '"pass"']) {
      expect(summary).not.toContain(secret);
    }
    expect(JSON.parse(summary)).toEqual({
      name: 'visible',
      password: '[REDACTED]',
      nested: { api_key: '[REDACTED]', clientSecret: '[REDACTED]', count: 3, list: ['ok', '[REDACTED]'] },
      note: '[REDACTED]',
      idToken: '[REDACTED]',
      comment: '[REDACTED]',
      Authorization: '[REDACTED]',
      credentials: '[REDACTED]',
    });
  });

  it('records failures and anonymous callers, but not GETs or model traffic', async () => {
    t = await startAuditKernel();
    const member = await t.createKey({ name: 'm', tenant_id: 'acme', roles: ['member'] });
    expect((await t.call('GET', '/v1/admin/keys')).status).toBe(200);
    expect((await t.call('GET', '/v1/modules/probe/things')).status).toBe(200);
    expect((await t.call('POST', '/oai/v1/chat/completions', { as: member.key, body: { model: 'x', messages: [] } })).status).toBe(200);
    expect((await t.call('POST', '/v1/admin/keys', { as: member.key, body: { name: 'nope' } })).status).toBe(403);
    const anonymous = await t.fetch('/v1/modules/probe/things/9', { method: 'DELETE' });
    expect(anonymous.status).toBe(401);

    const rows = await t.rows();
    expect(rows.map((r) => [r.method, r.path, Number(r.status), r.actor_kind])).toEqual([
      ['POST', '/v1/admin/keys', 201, 'api_key'],
      ['POST', '/v1/admin/keys', 403, 'api_key'],
      ['DELETE', '/v1/modules/probe/things/9', 401, 'anonymous'],
    ]);
    expect(rows[1]).toMatchObject({ key_id: member.id });
    expect(rows[1]!.tenant_id).toBeTruthy();
  });
});
