/**
 * Start-up behaviour: the bootstrap admin key (from SCAIGRID_BOOTSTRAP_ADMIN_KEY, or
 * generated and printed once), exactly one even when two starts race, the default tenant,
 * idempotent seeds from the config, boot errors naming bad role grants, and the
 * `scaigrid keys` CLI command.
 */
import { randomBytes } from 'node:crypto';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import authModule, { BOOTSTRAP_KEY_ID } from '../src/index.js';
import { bearer, probeModule, randomKey, startAuthKernel } from './helpers.js';

const BOOTSTRAP_LINE = /ScaiGrid bootstrap admin key \(shown once\): (sgk_\S+)/;

async function keyRows(t: TestKernel) {
  const ctx = t.context('auth');
  return ctx.db.selectFrom(ctx.table('api_keys')).selectAll().execute();
}

async function runReady(t: TestKernel) {
  for (const { moduleId, callback } of t.kernel.collections.readyCallbacks) if (moduleId === 'auth') await callback();
}

describe('bootstrap', () => {
  const started: TestKernel[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    delete process.env.SCAIGRID_BOOTSTRAP_ADMIN_KEY;
    for (const t of started.splice(0)) await t.stop();
  });

  it('generates one admin key on an empty database and prints it once to stdout', async () => {
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      printed.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write);
    const t = await startTestKernel({ modules: [authModule, probeModule], config: { auth: { bootstrap: { adminKeyEnv: 'SG_TEST_UNSET_BOOTSTRAP_KEY' } } } });
    started.push(t);
    const lines = printed.filter((line) => BOOTSTRAP_LINE.test(line));
    expect(lines).toHaveLength(1);
    const key = BOOTSTRAP_LINE.exec(lines[0])![1];

    const me = await t.fetch('/v1/auth/me', { headers: bearer(key) });
    expect(await me.json()).toMatchObject({ key_id: BOOTSTRAP_KEY_ID, roles: ['admin'], tenant_id: null, scope: 'all' });
    expect(await keyRows(t)).toHaveLength(1);

    // A restart (onReady again) with keys present creates and prints nothing.
    await runReady(t);
    expect(await keyRows(t)).toHaveLength(1);
    expect(printed.filter((line) => BOOTSTRAP_LINE.test(line))).toHaveLength(1);

    // Two instances racing on an empty database: exactly one key, printed at most once.
    const ctx = t.context('auth');
    await ctx.db.deleteFrom(ctx.table('api_keys')).execute();
    const before = printed.filter((line) => BOOTSTRAP_LINE.test(line)).length;
    await Promise.all([runReady(t), runReady(t)]);
    expect(await keyRows(t)).toHaveLength(1);
    expect(printed.filter((line) => BOOTSTRAP_LINE.test(line)).length - before).toBe(1);
  });

  it('uses SCAIGRID_BOOTSTRAP_ADMIN_KEY when set, prints nothing, and seeds the default tenant', async () => {
    const key = randomKey();
    process.env.SCAIGRID_BOOTSTRAP_ADMIN_KEY = key;
    const write = vi.spyOn(process.stdout, 'write');
    const t = await startTestKernel({ modules: [authModule], config: { auth: {} } });
    started.push(t);
    expect(write.mock.calls.some(([chunk]) => BOOTSTRAP_LINE.test(String(chunk)))).toBe(false);
    const me = await t.fetch('/v1/auth/me', { headers: bearer(key) });
    expect(me.status).toBe(200);
    expect((await me.json()).roles).toEqual(['admin']);
    const rows = await keyRows(t);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(key);
    const tenant = await t.fetch('/v1/admin/tenants/default', { headers: bearer(key) });
    expect(tenant.status).toBe(200);
  });

  it('refuses a bootstrap key without the sgk_ prefix, naming the variable', async () => {
    process.env.SCAIGRID_BOOTSTRAP_ADMIN_KEY = 'letmein-letmein-letmein-letmein-letmein';
    await expect(startTestKernel({ modules: [authModule], config: { auth: {} } })).rejects.toThrow(/SCAIGRID_BOOTSTRAP_ADMIN_KEY must start with 'sgk_'/);
  });
});

describe('configuration', () => {
  it('fails boot naming a role grant of an undeclared permission', async () => {
    await expect(startTestKernel({ modules: [authModule], config: { auth: { roles: { auditor: ['audit:read'] } } } })).rejects.toThrow(/role 'auditor' grants unknown permission 'audit:read'/);
  });

  it("accepts grants of other modules' permissions and optional ('?') grants", async () => {
    const t = await startAuthKernel({ auth: { roles: { prober: ['probe:extra', 'models:use', 'not:loaded?'] } } });
    try {
      const { key } = await t.createKey({ name: 'prober', roles: ['prober'] });
      expect((await t.call('GET', '/v1/auth/me', { as: key })).body.permissions).toEqual(['models:use', 'probe:extra']);
    } finally {
      await t.stop();
    }
  });

  it('fails boot when a service token env var is unset', async () => {
    await expect(
      startTestKernel({ modules: [authModule], config: { auth: { serviceTokens: [{ name: 'ci', tokenEnv: 'SG_TEST_NOT_SET_TOKEN', permissions: [] }] } } }),
    ).rejects.toThrow(/service token 'ci': env SG_TEST_NOT_SET_TOKEN is not set/);
  });
});

describe('seeds', () => {
  it('applies partners, tenants, users and keys from the config, idempotently', async () => {
    const seededKey = randomKey();
    const env = `SG_TEST_SEED_${randomBytes(4).toString('hex').toUpperCase()}`;
    const t = await startAuthKernel({
      env: { [env]: seededKey },
      auth: {
        seed: {
          partners: [{ slug: 'acme', name: 'Acme' }],
          tenants: [{ slug: 'acme-eu', partner: 'acme' }],
          users: [{ email: 'ops@acme.example', tenant: 'acme-eu', roles: ['tenant-admin'] }],
          keys: [{ name: 'acme app', tenant: 'acme-eu', roles: ['member'], secretEnv: env }],
        },
      },
    });
    try {
      const me = await t.call('GET', '/v1/auth/me', { as: seededKey });
      expect(me.status).toBe(200);
      const tenant = await t.call('GET', '/v1/admin/tenants/acme-eu');
      expect(me.body).toMatchObject({ tenant_id: tenant.body.id, roles: ['member'] });
      const count = async () => ({
        keys: (await keyRows(t)).length,
        users: (await t.call('GET', '/v1/admin/users')).body.data.length,
        tenants: (await t.call('GET', '/v1/admin/tenants')).body.data.length,
        partners: (await t.call('GET', '/v1/admin/partners')).body.data.length,
      });
      const first = await count();
      expect(first).toEqual({ keys: 2, users: 1, tenants: 2, partners: 1 });
      await runReady(t);
      expect(await count()).toEqual(first);
    } finally {
      delete process.env[env];
      await t.stop();
    }
  });
});

describe('scaigrid keys', () => {
  it('creates a key (printed once), lists hints only, and revokes', async () => {
    const t = await startAuthKernel();
    try {
      const command = t.kernel.collections.commands.find((c) => c.name === 'keys' && c.moduleId === 'auth')!;
      const run = async (...args: string[]) => {
        const out: string[] = [];
        const code = await command.run(args, { print: (line) => out.push(line) });
        return { code, out: out.join('\n') };
      };
      const created = await run('create', '--name', 'cli key', '--tenant', 'default', '--role', 'tenant-admin', '--scope', 'models:use');
      expect(created.code).toBe(0);
      const key = /(sgk_[0-9A-Za-z]{43})/.exec(created.out)![1];
      const me = await t.call('GET', '/v1/auth/me', { as: key });
      expect(me.body).toMatchObject({ name: 'cli key', roles: ['tenant-admin'], permissions: ['models:use'] });

      const listed = await run('list');
      expect(listed.code).toBe(0);
      expect(listed.out).toContain(key.slice(0, 12));
      expect(listed.out).not.toContain(key);

      expect((await run('create', '--name', 'x', '--role', 'nope')).code).toBe(1);
      expect((await run('create', '--name', 'x', '--tenant', 'missing')).code).toBe(1);
      expect((await run('frobnicate')).code).toBe(2);

      expect((await run('revoke', me.body.key_id)).code).toBe(0);
      expect((await t.call('GET', '/v1/auth/me', { as: key })).status).toBe(401);
    } finally {
      await t.stop();
    }
  });
});
