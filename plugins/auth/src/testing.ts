/**
 * @module testing
 * For other modules' tests (`@scaigrid/plugin-auth/testing`): a test kernel with the real
 * auth module in front — a bootstrap admin key, tenants `t1` and `t2`, a tenant-admin key for
 * each and a member key of `t1`, all seeded through auth's config from per-process env vars
 * (so a second kernel on the same database reuses them).
 *
 * @example
 * const t = await startWithAuth({ modules: [routingModule] });
 * await t.fetch('/v1/admin/models', { headers: AS.t1Admin });
 */
import { randomBytes } from 'node:crypto';
import type { Module } from '@scaigrid/kernel';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import authModule from './index.js';
import { authServiceRef } from './auth-service.js';
import type { Caller } from './caller.js';

const key = () => `sgk_${randomBytes(32).toString('base64url')}`;
const suffix = randomBytes(4).toString('hex').toUpperCase();
const KEYS = { admin: key(), t1Admin: key(), t2Admin: key(), t1Member: key() };
const ENV = Object.fromEntries(Object.keys(KEYS).map((name) => [name, `SG_AUTH_TESTING_${name.toUpperCase()}_${suffix}`])) as Record<keyof typeof KEYS, string>;
for (const name of Object.keys(KEYS) as (keyof typeof KEYS)[]) process.env[ENV[name]] = KEYS[name];

export const authConfig = {
  bootstrap: { adminKeyEnv: ENV.admin },
  seed: {
    tenants: [{ slug: 't1' }, { slug: 't2' }],
    keys: [
      { name: 't1-admin', tenant: 't1', roles: ['tenant-admin'], secretEnv: ENV.t1Admin },
      { name: 't2-admin', tenant: 't2', roles: ['tenant-admin'], secretEnv: ENV.t2Admin },
      { name: 't1-member', tenant: 't1', roles: ['member'], secretEnv: ENV.t1Member },
    ],
  },
};

const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
export const AS = {
  admin: bearer(KEYS.admin),
  t1Admin: bearer(KEYS.t1Admin),
  t2Admin: bearer(KEYS.t2Admin),
  t1Member: bearer(KEYS.t1Member),
};

export const ADMIN_CALLER: Caller = { kind: 'service', roles: ['admin'], permissions: new Set(['admin:access']) };

export interface AuthKernel extends TestKernel {
  /** Tenant id of a seeded slug. */
  tenantId(slug: string): Promise<string>;
}

export async function startWithAuth(options: { modules: Module[]; config?: Record<string, unknown>; database?: string }): Promise<AuthKernel> {
  const t = await startTestKernel({
    modules: [authModule, ...options.modules],
    database: options.database,
    config: { auth: authConfig, ...options.config },
  });
  return {
    ...t,
    async tenantId(slug) {
      return (await t.context('auth').use(authServiceRef).visibleTenant(ADMIN_CALLER, slug)).id;
    },
  };
}
