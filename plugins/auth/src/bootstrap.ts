/**
 * @module bootstrap
 * First start on an empty database: create one global admin key, so that a fresh gateway can
 * be administered at all. The key comes from the environment or is generated and printed
 * once. It is inserted under a fixed id, so when two instances start together the primary
 * key lets exactly one of them win; the loser prints nothing.
 */
import type { ModuleContext } from '@scaigrid/kernel';
import { apiKeyProblem, generateApiKey } from './api-key-secret.js';
import { issueApiKey } from './issue-api-key.js';
import type { ApiKeyStore } from './store/api-key-store.js';
import { isUniqueViolation } from './store/records.js';
import type { TenantStore } from './store/tenant-store.js';

type Logger = ModuleContext['log'];

export const BOOTSTRAP_KEY_ID = 'bootstrap-admin';
export const DEFAULT_TENANT_SLUG = 'default';

export interface BootstrapOptions {
  keys: ApiKeyStore;
  env: NodeJS.ProcessEnv;
  adminKeyEnv: string;
  log: Logger;
  /** Where the generated key is shown (stdout). */
  print(line: string): void;
}

export type BootstrapOutcome = 'skipped' | 'from-env' | 'generated' | 'lost-race';

export async function bootstrapAdminKey(options: BootstrapOptions): Promise<BootstrapOutcome> {
  const { keys, env, adminKeyEnv, log } = options;
  if ((await keys.count()) > 0) return 'skipped';
  const supplied = env[adminKeyEnv];
  if (supplied) {
    const problem = apiKeyProblem(supplied);
    if (problem) throw new Error(`[AUTH_BOOTSTRAP_KEY_INVALID] ${adminKeyEnv} ${problem}.`);
  }
  const secret = supplied || generateApiKey();
  try {
    await issueApiKey(keys, { id: BOOTSTRAP_KEY_ID, tenantId: null, partnerId: null, userId: null, name: 'bootstrap admin', roles: ['admin'], scopes: [], expiresAt: null }, secret);
  } catch (err) {
    if (isUniqueViolation(err)) return 'lost-race';
    throw err;
  }
  if (supplied) {
    log.warn({ keyId: BOOTSTRAP_KEY_ID }, `Created the bootstrap admin key from ${adminKeyEnv}`);
    return 'from-env';
  }
  options.print(`ScaiGrid bootstrap admin key (shown once): ${secret}`);
  log.warn({ keyId: BOOTSTRAP_KEY_ID }, 'Created a bootstrap admin key and printed it once to stdout; store it now');
  return 'generated';
}

/** Seeds the tenant `default` unless it exists (another instance may create it at the same moment). */
export async function ensureDefaultTenant(tenants: TenantStore): Promise<void> {
  if (await tenants.find(DEFAULT_TENANT_SLUG)) return;
  try {
    await tenants.create({ slug: DEFAULT_TENANT_SLUG, name: 'Default tenant' });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
}
