import { afterEach, describe, expect, it } from 'vitest';
import { rateLimitServiceRef } from '../src/index.js';
import { burst, PROBE_PATH, startLimitKernel, type LimitTestKernel } from './helpers.js';

const statuses = (responses: Response[]) => responses.map((r) => r.status);
const countOf = (list: number[], status: number) => list.filter((s) => s === status).length;

describe('ratelimit: request limits', () => {
  let t: LimitTestKernel | undefined;
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it('lets exactly N of N+k rapid requests of one key pass, with correct headers', async () => {
    t = await startLimitKernel({ ratelimit: { limits: [{ scope: 'key', requestsPerMinute: 5 }] } });
    const { key } = await t.createKey('acme');
    const responses = await burst(t, [key], 9);
    expect(countOf(statuses(responses), 200)).toBe(5);
    expect(countOf(statuses(responses), 429)).toBe(4);

    const passed = responses.filter((r) => r.status === 200);
    // Each admitted request saw its own count: the script is atomic even when requests race.
    expect(passed.map((r) => Number(r.headers.get('x-ratelimit-remaining'))).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const r of passed) {
      expect(r.headers.get('x-ratelimit-limit')).toBe('5');
      const reset = Number(r.headers.get('x-ratelimit-reset'));
      expect(reset).toBeGreaterThan(60);
      expect(reset).toBeLessThanOrEqual(120);
    }
    for (const r of responses.filter((x) => x.status === 429)) {
      const body = (await r.json()) as { error: { code: string; message: string; request_id: string } };
      expect(body.error.code).toBe('RATE_LIMITED');
      expect(body.error.message).toMatch(/key limit of 5 requests per minute/);
      expect(body.error.request_id).toBe(r.headers.get('x-request-id'));
      expect(r.headers.get('x-ratelimit-limit')).toBe('5');
      expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(120);
    }
    // Another key has its own counter under the same default rule.
    const other = await t.createKey('acme', 'second');
    expect(statuses(await burst(t, [other.key], 1))).toEqual([200]);
  });

  it('shares a tenant limit between the keys of the tenant, and not with other tenants', async () => {
    t = await startLimitKernel({ ratelimit: { limits: [{ scope: 'tenant', id: 'acme', requestsPerMinute: 4 }] } });
    const a = await t.createKey('acme', 'a');
    const b = await t.createKey('acme', 'b');
    const outsider = await t.createKey('other', 'c');
    const results = statuses(await burst(t, [a.key, b.key], 7));
    expect(countOf(results, 200)).toBe(4);
    expect(countOf(results, 429)).toBe(3);
    expect(statuses(await burst(t, [outsider.key], 5))).toEqual([200, 200, 200, 200, 200]);
  });

  it('does not count a refused request against any limit (all or nothing)', async () => {
    t = await startLimitKernel({
      ratelimit: { limits: [{ scope: 'key', requestsPerMinute: 3 }, { scope: 'tenant', requestsPerMinute: 5 }] },
    });
    const a = await t.createKey('acme', 'a');
    const b = await t.createKey('acme', 'b');
    // Key a: 3 pass, then 4 refused by the key limit; the tenant counter must stay at 3.
    const first = await burst(t, [a.key], 7);
    expect(countOf(statuses(first), 200)).toBe(3);
    const refused = first.find((r) => r.status === 429)!;
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/key limit/);
    // So key b of the same tenant has exactly 2 left of the tenant's 5.
    const second = statuses(await burst(t, [b.key], 4));
    expect(countOf(second, 200)).toBe(2);
    const last = await burst(t, [b.key], 1);
    expect(((await last[0]!.json()) as { error: { message: string } }).error.message).toMatch(/tenant limit of 5/);
  });

  it('slides: a refused caller passes again after Retry-After', async () => {
    t = await startLimitKernel({ ratelimit: { limits: [{ scope: 'key', requestsPerWindow: 2, windowSeconds: 1 }] } });
    const { key } = await t.createKey('acme');
    expect(statuses(await burst(t, [key], 2))).toEqual([200, 200]);
    const [refused] = await burst(t, [key], 1);
    expect(refused!.status).toBe(429);
    const retryAfter = Number(refused!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 50));
    expect(statuses(await burst(t, [key], 1))).toEqual([200]);
  });

  it('leaves paths outside the configured list alone', async () => {
    t = await startLimitKernel({ ratelimit: { limits: [{ scope: 'key', requestsPerMinute: 1 }] } });
    const { key } = await t.createKey('acme');
    for (let i = 0; i < 3; i++) {
      const res = await t.call('GET', '/v1/modules/probe/unlimited', { as: key });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
    }
  });

  it('counts tokens: admits while tokens are left, refuses once used up', async () => {
    t = await startLimitKernel({ ratelimit: { limits: [{ scope: 'key', tokensPerMinute: 100 }] } });
    const { key, id } = await t.createKey('acme');
    const limits = t.context('ratelimit').use(rateLimitServiceRef);
    const caller = { kind: 'api_key' as const, keyId: id, roles: [], permissions: new Set<string>() };
    expect(limits.checksFor(caller).map((c) => [c.kind, c.limit])).toEqual([['tokens', 100]]);

    const ok = await t.fetch(PROBE_PATH, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: {} });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-remaining')).toBe('100');
    await limits.countTokens(caller, 60);
    const partly = await t.fetch(PROBE_PATH, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: {} });
    expect(partly.status).toBe(200);
    expect(partly.headers.get('x-ratelimit-remaining')).toBe('40');
    await limits.countTokens(caller, 45);
    const refused = await t.fetch(PROBE_PATH, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: {} });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/100 tokens per minute/);
  });
});
