/**
 * @module test/helpers
 * A test kernel with the auth module, a known bootstrap admin key (from a per-kernel env
 * var) and a tiny probe module whose routes are guarded by `auth.service`.
 */
import { randomBytes } from 'node:crypto';
import { defineModule } from '@scaigrid/kernel';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import authModule, { authServiceRef } from '../src/index.js';

export const probeModule = defineModule({
  id: 'probe',
  version: '0.0.0',
  dependsOn: ['auth'],
  permissions: { 'probe:extra': 'A permission declared by another module.' },
  setup(ctx) {
    const auth = ctx.use(authServiceRef);
    ctx.routes.get('/use', auth.requirePermission('models:use'), (c) => c.json({ ok: true, key_id: auth.caller(c).keyId ?? null }));
    ctx.routes.get('/open', (c) => c.json({ caller: c.get('caller') ? auth.caller(c).kind : null }));
  },
});

export function randomKey(): string {
  return `sgk_${randomBytes(32).toString('base64url')}`;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export interface AuthTestKernel extends TestKernel {
  adminKey: string;
  /** POST as `as` (default admin) and return status and JSON. */
  call(method: string, path: string, options?: { as?: string; body?: Record<string, unknown> }): Promise<{ status: number; body: any }>;
  createKey(body: Record<string, unknown>, as?: string): Promise<{ id: string; key: string }>;
}

export async function startAuthKernel(options: { auth?: Record<string, unknown>; env?: Record<string, string> } = {}): Promise<AuthTestKernel> {
  const adminKey = randomKey();
  const adminKeyEnv = `SG_TEST_ADMIN_${randomBytes(4).toString('hex').toUpperCase()}`;
  process.env[adminKeyEnv] = adminKey;
  for (const [k, v] of Object.entries(options.env ?? {})) process.env[k] = v;
  const auth = { ...options.auth, bootstrap: { adminKeyEnv, ...(options.auth?.bootstrap as object) } };
  const t = await startTestKernel({ modules: [authModule, probeModule], config: { auth } });
  const call: AuthTestKernel['call'] = async (method, path, { as = adminKey, body } = {}) => {
    const res = await t.fetch(path, { method, headers: bearer(as), body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    ...t,
    adminKey,
    call,
    async createKey(body, as) {
      const res = await call('POST', '/v1/admin/keys', { as, body });
      if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id, key: res.body.key };
    },
    async stop() {
      delete process.env[adminKeyEnv];
      await t.stop();
    },
  };
}
