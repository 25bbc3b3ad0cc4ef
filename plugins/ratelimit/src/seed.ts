/**
 * @module seed
 * Applies the configured rules at startup, idempotently: a rule is created when none exists
 * for its scope and subject, and left alone otherwise, so edits made through the admin API
 * survive a restart. A tenant named by a slug that does not exist fails the start.
 */
import { isGatewayError } from '@scaigrid/kernel';
import { ADMIN_ACCESS, type AuthService, type Caller } from '@scaigrid/plugin-auth';
import type { SeedRule } from './config.js';
import { isUniqueViolation, type RuleStore } from './rule-store.js';

/** Seeding reads tenants as the system would, across every tenant. */
const SEED_CALLER: Caller = Object.freeze({ kind: 'service', name: 'ratelimit seed', roles: [], permissions: new Set([ADMIN_ACCESS]) });

export async function applySeedRules(rules: readonly SeedRule[], store: RuleStore, auth: AuthService): Promise<number> {
  let created = 0;
  for (const seed of rules) {
    let subjectId: string | null = seed.id ?? null;
    if (subjectId !== null && seed.scope === 'tenant') {
      try {
        subjectId = (await auth.visibleTenant(SEED_CALLER, subjectId)).id;
      } catch (err) {
        if (isGatewayError(err) && err.code === 'NOT_FOUND') {
          throw new Error(`[RATELIMIT_SEED_INVALID] ratelimit.limits names tenant '${seed.id}', which does not exist. Seed it (auth.seed.tenants) or fix the id.`);
        }
        throw err;
      }
    }
    if (await store.find(seed.scope, subjectId)) continue;
    try {
      await store.create(seed.scope, subjectId, {
        requestsPerMinute: seed.requestsPerMinute ?? null,
        requestsPerWindow: seed.requestsPerWindow ?? null,
        tokensPerMinute: seed.tokensPerMinute ?? null,
        tokensPerWindow: seed.tokensPerWindow ?? null,
        windowSeconds: seed.windowSeconds ?? null,
      });
      created++;
    } catch (err) {
      // Another instance seeding at the same moment won the insert.
      if (!isUniqueViolation(err)) throw err;
    }
  }
  return created;
}

