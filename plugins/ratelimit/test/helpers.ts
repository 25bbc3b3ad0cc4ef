/**
 * @module test/helpers
 * A test kernel with the real auth and ratelimit modules, a known bootstrap admin key, two
 * seeded tenants, and a probe module whose routes stand in for model traffic (the ratelimit
 * `paths` option points at them), so these tests need no upstream.
 */
import { randomBytes } from 'node:crypto';
import { defineModule } from '@scaigrid/kernel';
import authModule, { authServiceRef } from '@scaigrid/plugin-auth';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import ratelimitModule from '../src/index.js';
import type { LimitCheck } from '../src/limit-rule.js';

export const probeModule = defineModule({
  id: 'probe',
  version: '0.0.0',
  dependsOn: ['auth'],
  setup(ctx) {
    const auth = ctx.use(authServiceRef);
    ctx.routes.post('/call', auth.requirePermission('models:use'), (c) => c.json({ ok: true }));
    ctx.routes.get('/unlimited', auth.requirePermission('models:use'), (c) => c.json({ ok: true }));
  },
});

export const PROBE_PATH = '/v1/modules/probe/call';

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface LimitTestKernel extends TestKernel {
  adminKey: string;
  call(method: string, path: string, options?: { as?: string; body?: Record<string, unknown> }): Promise<{ status: number; body: any; headers: Headers }>;
  createKey(tenant: string, name?: string): Promise<{ id: string; key: string }>;
  tenantId(slug: string): Promise<string>;
}

export interface LimitKernelOptions {
  ratelimit?: Record<string, unknown>;
  /** Share another kernel's stores (a second gateway instance). */
  shareWith?: LimitTestKernel;
}

export async function startLimitKernel(options: LimitKernelOptions = {}): Promise<LimitTestKernel> {
  const adminKey = options.shareWith?.adminKey ?? `sgk_${randomBytes(32).toString('base64url')}`;
  const adminKeyEnv = `SG_TEST_ADMIN_${randomBytes(4).toString('hex').toUpperCase()}`;
  process.env[adminKeyEnv] = adminKey;
  const shared = options.shareWith?.stores;
  const t = await startTestKernel({
    modules: [authModule, ratelimitModule, probeModule],
    config: {
      auth: { bootstrap: { adminKeyEnv }, seed: { tenants: [{ slug: 'acme' }, { slug: 'other' }] } },
      ratelimit: { paths: ['/v1/modules/probe/call'], ...options.ratelimit },
    },
    ...(shared ? { database: shared.database, redis: shared.redis, redisNamespace: shared.redisNamespace } : {}),
  });
  const call: LimitTestKernel['call'] = async (method, path, { as = adminKey, body } = {}) => {
    const res = await t.fetch(path, { method, headers: bearer(as), body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
  };
  return {
    ...t,
    adminKey,
    call,
    async createKey(tenant, name = 'app') {
      const res = await call('POST', '/v1/admin/keys', { body: { name, tenant_id: tenant, roles: ['member'] } });
      if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id, key: res.body.key };
    },
    async tenantId(slug) {
      const res = await call('GET', `/v1/admin/tenants/${slug}`);
      if (res.status !== 200) throw new Error(`tenant ${slug}: ${res.status}`);
      return res.body.id;
    },
    async stop() {
      delete process.env[adminKeyEnv];
      await t.stop();
    },
  };
}

/** Fires `count` requests at once and returns the responses in order. */
export async function burst(t: LimitTestKernel, keys: readonly string[], count: number): Promise<Response[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => t.fetch(PROBE_PATH, { method: 'POST', headers: bearer(keys[i % keys.length]!), body: {} })));
}

let checks = 0;
/** A limit check on a fresh counter of its own (for tests that drive the limiter directly). */
export function limitCheck(kind: LimitCheck['kind'], limit: number, windowMs = 60_000): LimitCheck {
  checks++;
  return { ruleId: `r${checks}`, scope: 'key', subjectId: `k${checks}`, kind, limit, windowMs, counterKey: `test-${kind}:${process.pid}:${Date.now()}:${checks}` };
}
