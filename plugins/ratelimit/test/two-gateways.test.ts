import { describe, expect, it } from 'vitest';
import { bearer, PROBE_PATH, startLimitKernel } from './helpers.js';

// Two gateway instances only share counters through a real Redis (memory:// is private to one
// process), and keys through a real database (each embedded test kernel has its own).
const realRedis = Boolean(process.env.SCAIGRID_TEST_REDIS_URL && process.env.SCAIGRID_TEST_DATABASE_URL);

describe('ratelimit across gateway instances', () => {
  it.skipIf(!realRedis)('lets exactly N of N+k requests spread over two gateways sharing Redis pass', async () => {
    const first = await startLimitKernel({ ratelimit: { limits: [{ scope: 'tenant', id: 'acme', requestsPerMinute: 6 }] } });
    const second = await startLimitKernel({ shareWith: first, ratelimit: { limits: [{ scope: 'tenant', id: 'acme', requestsPerMinute: 6 }] } });
    try {
      const a = await first.createKey('acme', 'a');
      const b = await first.createKey('acme', 'b');
      const gateways = [first, second];
      const keys = [a.key, b.key];
      const responses = await Promise.all(
        Array.from({ length: 14 }, (_, i) => gateways[i % 2]!.fetch(PROBE_PATH, { method: 'POST', headers: bearer(keys[Math.floor(i / 2) % 2]!), body: {} })),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(6);
      expect(statuses.filter((s) => s === 429)).toHaveLength(8);
      expect(responses.filter((r) => r.status === 200).map((r) => Number(r.headers.get('x-ratelimit-remaining'))).sort()).toEqual([0, 1, 2, 3, 4, 5]);

      // A rule change through one instance's admin API reaches the other through the broadcast.
      const rules = await first.call('GET', '/v1/admin/rate-limits');
      const ruleId = rules.body.data[0].id;
      expect((await first.call('PATCH', `/v1/admin/rate-limits/${ruleId}`, { body: { requests_per_minute: 100 } })).status).toBe(200);
      let passed = false;
      for (let i = 0; i < 50 && !passed; i++) {
        passed = (await second.fetch(PROBE_PATH, { method: 'POST', headers: bearer(a.key), body: {} })).status === 200;
        if (!passed) await new Promise((r) => setTimeout(r, 100));
      }
      expect(passed).toBe(true);
    } finally {
      await second.stop();
      await first.stop();
    }
  });
});
