/**
 * Revocation reaches every instance: two gateway instances share MariaDB and Redis; a key
 * used (and so cached) on both is revoked through the first, and the second refuses it on
 * its next request, with no restart and no wait for the cache TTL.
 */
import { startTestKernel } from '@scaigrid/testing';
import { expect, it } from 'vitest';
import authModule from '../src/index.js';
import { bearer, probeModule, startAuthKernel } from './helpers.js';

// Two instances can only share an event bus over a real Redis (memory:// is per process);
// CI sets these URLs.
const REAL = Boolean(process.env.SCAIGRID_TEST_DATABASE_URL && process.env.SCAIGRID_TEST_REDIS_URL);

it.runIf(REAL)('a key revoked on one instance is refused by the other at once', async () => {
  const first = await startAuthKernel({ auth: { keyCache: { ttlSeconds: 3600 } } });
  const second = await startTestKernel({
    modules: [authModule, probeModule],
    database: first.stores.database,
    redis: first.stores.redis,
    redisNamespace: first.stores.redisNamespace,
    config: { auth: { bootstrap: { enabled: false }, keyCache: { ttlSeconds: 3600 } } },
  });
  try {
    const { id, key } = await first.createKey({ name: 'shared', roles: ['member'] });
    expect((await first.fetch('/v1/modules/probe/use', { headers: bearer(key) })).status).toBe(200);
    expect((await second.fetch('/v1/modules/probe/use', { headers: bearer(key) })).status).toBe(200);

    expect((await first.call('POST', `/v1/admin/keys/${id}/revoke`)).status).toBeLessThan(300);
    await expect.poll(async () => (await second.fetch('/v1/modules/probe/use', { headers: bearer(key) })).status, { timeout: 5000 }).toBe(401);
    expect((await first.fetch('/v1/modules/probe/use', { headers: bearer(key) })).status).toBe(401);
  } finally {
    await second.stop();
    await first.stop();
  }
});
