/**
 * @module seed
 * Declarative seeds from the config (partners, tenants, users, keys), applied at every start
 * and idempotent: what exists (by slug, by tenant and email, by key hash) is left alone, so
 * an operator's later changes survive a restart. A seed naming something that does not
 * exist, an undefined role or an unset key env var fails the start with its name.
 */
import { apiKeyProblem, hashApiKey } from './api-key-secret.js';
import type { SeedConfig } from './config.js';
import { issueApiKey } from './issue-api-key.js';
import type { RoleRegistry } from './roles.js';
import type { ApiKeyStore } from './store/api-key-store.js';
import type { PartnerStore } from './store/partner-store.js';
import { isUniqueViolation, type Owner } from './store/records.js';
import type { TenantStore } from './store/tenant-store.js';
import type { UserStore } from './store/user-store.js';

export interface SeedStores {
  partners: PartnerStore;
  tenants: TenantStore;
  users: UserStore;
  keys: ApiKeyStore;
}

/** Runs `create`, treating "another instance just created it" as done. */
async function createOnce(create: () => Promise<unknown>): Promise<boolean> {
  try {
    await create();
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

/** Applies the seeds; resolves with how many keys were created (so caches can forget "unknown"). */
export async function applySeeds(seed: SeedConfig, stores: SeedStores, roles: RoleRegistry, declared: ReadonlySet<string>, env: NodeJS.ProcessEnv): Promise<number> {
  const fail = (message: string): never => {
    throw new Error(`[AUTH_SEED_INVALID] ${message}. Fix auth.seed in the config.`);
  };
  const checkRoles = (where: string, list: readonly string[]) => {
    for (const role of list) if (!roles.has(role)) fail(`${where} has undefined role '${role}'`);
  };
  const partnerId = async (slug: string, where: string) => (await stores.partners.find(slug))?.id ?? fail(`${where} names partner '${slug}', which does not exist`);
  const owner = async (ref: { tenant?: string; partner?: string }, where: string): Promise<Owner> => {
    if (ref.tenant) return { tenantId: (await stores.tenants.find(ref.tenant))?.id ?? fail(`${where} names tenant '${ref.tenant}', which does not exist`), partnerId: null };
    if (ref.partner) return { tenantId: null, partnerId: await partnerId(ref.partner, where) };
    return { tenantId: null, partnerId: null };
  };

  for (const p of seed.partners) {
    if (!(await stores.partners.find(p.slug))) await createOnce(() => stores.partners.create(p));
  }
  for (const t of seed.tenants) {
    if (await stores.tenants.find(t.slug)) continue;
    const partner = t.partner ? await partnerId(t.partner, `tenant '${t.slug}'`) : null;
    await createOnce(() => stores.tenants.create({ slug: t.slug, name: t.name, partnerId: partner }));
  }
  for (const u of seed.users) {
    const where = `user '${u.email}'`;
    checkRoles(where, u.roles);
    const o = await owner(u, where);
    if (await stores.users.findByEmail(o.tenantId, u.email)) continue;
    await createOnce(() => stores.users.create({ ...o, email: u.email, name: u.name, roles: u.roles }));
  }
  let created = 0;
  for (const k of seed.keys) {
    const where = `key '${k.name}'`;
    checkRoles(where, k.roles);
    for (const scope of k.scopes) if (!declared.has(scope)) fail(`${where} has unknown scope '${scope}'`);
    const secret = env[k.secretEnv] ?? fail(`${where}: env ${k.secretEnv} is not set`);
    const problem = apiKeyProblem(secret);
    if (problem) fail(`${where}: env ${k.secretEnv} ${problem}`);
    if (await stores.keys.existsWithHash(hashApiKey(secret))) continue;
    const o = await owner(k, where);
    if (await createOnce(() => issueApiKey(stores.keys, { ...o, userId: null, name: k.name, roles: k.roles, scopes: k.scopes, expiresAt: null }, secret))) created++;
  }
  return created;
}
