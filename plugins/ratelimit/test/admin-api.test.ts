import { afterEach, describe, expect, it } from 'vitest';
import { burst, startLimitKernel, type LimitTestKernel } from './helpers.js';

describe('ratelimit admin API /v1/admin/rate-limits', () => {
  let t: LimitTestKernel | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('creates, reads, updates and deletes rules, and each change applies to the next request', async () => {
    t = await startLimitKernel();
    const { key, id: keyId } = await t.createKey('acme');
    expect((await burst(t, [key], 3)).map((r) => r.status)).toEqual([200, 200, 200]);

    const created = await t.call('POST', '/v1/admin/rate-limits', { body: { scope: 'key', subject_id: keyId, requests_per_minute: 1 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ scope: 'key', subject_id: keyId, requests_per_minute: 1, tokens_per_minute: null });
    // The three earlier requests were not limited and so not counted; this key now has 1 per minute.
    expect((await burst(t, [key], 1))[0]!.status).toBe(200);
    expect((await burst(t, [key], 1))[0]!.status).toBe(429);

    const updated = await t.call('PATCH', `/v1/admin/rate-limits/${created.body.id}`, { body: { requests_per_minute: 3 } });
    expect(updated.status).toBe(200);
    expect(updated.body.requests_per_minute).toBe(3);
    expect((await burst(t, [key], 1))[0]!.status).toBe(200);
    expect((await t.call('GET', `/v1/admin/rate-limits/${created.body.id}`)).body.requests_per_minute).toBe(3);

    expect((await t.call('DELETE', `/v1/admin/rate-limits/${created.body.id}`)).status).toBe(204);
    expect((await burst(t, [key], 5)).every((r) => r.status === 200)).toBe(true);
    expect((await t.call('GET', `/v1/admin/rate-limits/${created.body.id}`)).status).toBe(404);
    expect((await t.call('GET', '/v1/admin/rate-limits')).body.data).toEqual([]);
  });

  it('stores a tenant rule by id when given the slug, and refuses a duplicate with 409', async () => {
    t = await startLimitKernel();
    const acmeId = await t.tenantId('acme');
    const created = await t.call('POST', '/v1/admin/rate-limits', { body: { scope: 'tenant', subject_id: 'acme', requests_per_window: 10, window_seconds: 3600 } });
    expect(created.status).toBe(201);
    expect(created.body.subject_id).toBe(acmeId);
    const again = await t.call('POST', '/v1/admin/rate-limits', { body: { scope: 'tenant', subject_id: acmeId, requests_per_minute: 5 } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
    expect((await t.call('POST', '/v1/admin/rate-limits', { body: { scope: 'tenant', subject_id: 'nope', requests_per_minute: 5 } })).status).toBe(404);
    const list = await t.call('GET', '/v1/admin/rate-limits?scope=tenant');
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual([created.body.id]);
  });

  it('rejects bad input with 400 naming the field, changing nothing', async () => {
    t = await startLimitKernel();
    const cases: [Record<string, unknown>, string][] = [
      [{ scope: 'planet', requests_per_minute: 1 }, 'scope'],
      [{ scope: 'key', requests_per_minute: -1 }, 'requests_per_minute'],
      [{ scope: 'key', requests_per_window: 5 }, 'window_seconds'],
      [{ scope: 'key' }, 'requests_per_minute'],
      [{ scope: 'key', requests_per_minute: 1, bogus: true }, 'bogus'],
    ];
    for (const [body, field] of cases) {
      const res = await t.call('POST', '/v1/admin/rate-limits', { body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(res.body.error.message).toContain(`'${field}'`);
    }
    expect((await t.call('GET', '/v1/admin/rate-limits')).body.data).toEqual([]);
  });

  it('is for admin:access only', async () => {
    t = await startLimitKernel();
    const member = await t.createKey('acme');
    expect((await t.call('GET', '/v1/admin/rate-limits', { as: member.key })).status).toBe(403);
    expect((await t.call('POST', '/v1/admin/rate-limits', { as: member.key, body: { scope: 'key', requests_per_minute: 1 } })).status).toBe(403);
    expect((await t.call('GET', '/v1/admin/rate-limits', { as: 'sgk_wrong' })).status).toBe(401);
  });
});
