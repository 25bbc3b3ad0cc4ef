/**
 * The rule cache remembers each caller's checks until the rules change: the same array for
 * the same Caller (auth hands out one object per cached key or token), new checks after a
 * reload, and the right checks for callers that share only some subjects.
 */
import pino from 'pino';
import { expect, it } from 'vitest';
import type { EventBus } from '@scaigrid/kernel';
import type { LimitRule } from '../src/limit-rule.js';
import { RuleCache } from '../src/rule-cache.js';
import type { RuleStore } from '../src/rule-store.js';

const rule = (scope: LimitRule['scope'], subjectId: string | null, requestsPerMinute: number, tokensPerMinute: number | null = null): LimitRule => ({
  id: `${scope}-${subjectId ?? 'default'}`,
  scope,
  subjectId,
  requestsPerMinute,
  requestsPerWindow: null,
  tokensPerMinute,
  tokensPerWindow: null,
  windowSeconds: null,
  createdAt: 0,
  updatedAt: 0,
});

function cacheOver(rules: { current: LimitRule[] }): RuleCache {
  const store = { all: async () => rules.current } as unknown as RuleStore;
  return new RuleCache(store, {} as EventBus, pino({ level: 'silent' }));
}

const caller = (keyId: string, tenantId?: string) => ({ kind: 'api_key' as const, keyId, tenantId, roles: [], permissions: new Set<string>() });
const summary = (checks: readonly { scope: string; subjectId: string; kind: string; limit: number }[]) => checks.map((c) => `${c.scope}:${c.subjectId}:${c.kind}:${c.limit}`);

it('gives the same checks for the same subjects until the rules are reloaded', async () => {
  const rules = { current: [rule('key', null, 10, 1000), rule('tenant', 'acme', 50)] };
  const cache = cacheOver(rules);
  await cache.load();

  const k1 = caller('k1', 'acme');
  const first = cache.checksFor(k1);
  expect(summary(first)).toEqual(['key:k1:requests:10', 'key:k1:tokens:1000', 'tenant:acme:requests:50']);
  // The next request of the same caller gets the remembered array; a new object, equal checks.
  expect(cache.checksFor(k1)).toBe(first);
  expect(summary(cache.checksFor(caller('k1', 'acme')))).toEqual(summary(first));
  expect(summary(cache.checksFor(k1, 'tokens'))).toEqual(['key:k1:tokens:1000']);
  expect(cache.checksFor(k1, 'tokens')).toBe(cache.checksFor(k1, 'tokens'));
  // Same key id, other tenant: not confused with the first caller.
  expect(summary(cache.checksFor(caller('k1', 'globex')))).toEqual(['key:k1:requests:10', 'key:k1:tokens:1000']);

  rules.current = [rule('key', null, 20), rule('key', 'k1', 5)];
  await cache.load();
  const after = cache.checksFor(k1);
  expect(after).not.toBe(first);
  expect(summary(after)).toEqual(['key:k1:requests:5']);
  expect(summary(cache.checksFor(caller('k2', 'acme')))).toEqual(['key:k2:requests:20']);
});
