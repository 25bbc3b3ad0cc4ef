/**
 * @module limit-rule
 * A rate-limit rule: which subjects it covers (every key, user, tenant or partner, or one of
 * them by id) and its ceilings. One rule may carry several ceilings (requests per minute and
 * per custom window, tokens per minute and per window); each becomes one counter in Redis.
 * A rule naming a subject replaces that scope's default rule for that subject.
 */
import { z } from 'zod';

export const LIMIT_SCOPES = ['key', 'user', 'tenant', 'partner'] as const;
export type LimitScope = (typeof LIMIT_SCOPES)[number];

/** The subject key of a default rule (applies to every subject of its scope). */
export const DEFAULT_SUBJECT = '*';

export interface LimitRule {
  readonly id: string;
  readonly scope: LimitScope;
  /** The key, user, tenant or partner id; null for the scope's default. */
  readonly subjectId: string | null;
  readonly requestsPerMinute: number | null;
  readonly requestsPerWindow: number | null;
  readonly tokensPerMinute: number | null;
  readonly tokensPerWindow: number | null;
  /** Length of the custom window used by `requestsPerWindow` / `tokensPerWindow`. */
  readonly windowSeconds: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type LimitValues = Pick<LimitRule, 'requestsPerMinute' | 'requestsPerWindow' | 'tokensPerMinute' | 'tokensPerWindow' | 'windowSeconds'>;

/** One ceiling of one rule, as enforced: a counter of `kind` over `windowMs`. */
export interface LimitCheck {
  readonly ruleId: string;
  readonly scope: LimitScope;
  readonly subjectId: string;
  readonly kind: 'requests' | 'tokens';
  readonly limit: number;
  readonly windowMs: number;
  /** Redis key (under the module prefix). Independent of the rule id so editing a rule keeps its counts. */
  readonly counterKey: string;
}

const count = z.number().int().min(0).max(1_000_000_000_000);

/** Field rules shared by the config seed and the admin API (camelCase here; the API maps snake_case). */
export const limitValuesShape = {
  requestsPerMinute: count.nullable().optional().describe('Requests per 60-second sliding window.'),
  requestsPerWindow: count.nullable().optional().describe('Requests per `windowSeconds` sliding window.'),
  tokensPerMinute: count.nullable().optional().describe('Tokens (prompt + completion) per 60-second sliding window.'),
  tokensPerWindow: count.nullable().optional().describe('Tokens per `windowSeconds` sliding window.'),
  windowSeconds: z.number().int().min(1).max(31 * 86_400).nullable().optional().describe('Window of requestsPerWindow / tokensPerWindow (max 31 days).'),
};

/** Problems with a complete set of values, as [field, message] pairs (empty when valid). */
export function limitValueProblems(v: LimitValues): [string, string][] {
  const problems: [string, string][] = [];
  const windowed = v.requestsPerWindow !== null || v.tokensPerWindow !== null;
  if (windowed && v.windowSeconds === null) problems.push(['windowSeconds', 'required with requestsPerWindow or tokensPerWindow']);
  if (!windowed && v.windowSeconds !== null) problems.push(['windowSeconds', 'only meaningful with requestsPerWindow or tokensPerWindow']);
  if (v.requestsPerMinute === null && v.requestsPerWindow === null && v.tokensPerMinute === null && v.tokensPerWindow === null) {
    problems.push(['requestsPerMinute', 'give at least one of requestsPerMinute, requestsPerWindow, tokensPerMinute, tokensPerWindow']);
  }
  return problems;
}

/** The counters a rule enforces for one subject. */
export function checksOf(rule: LimitRule, subjectId: string): LimitCheck[] {
  const checks: LimitCheck[] = [];
  const add = (kind: LimitCheck['kind'], limit: number | null, windowSeconds: number | null) => {
    if (limit === null || windowSeconds === null) return;
    checks.push({
      ruleId: rule.id,
      scope: rule.scope,
      subjectId,
      kind,
      limit,
      windowMs: windowSeconds * 1000,
      counterKey: `c:${rule.scope}:${subjectId}:${kind}:${windowSeconds}`,
    });
  };
  add('requests', rule.requestsPerMinute, 60);
  add('requests', rule.requestsPerWindow, rule.windowSeconds);
  add('tokens', rule.tokensPerMinute, 60);
  add('tokens', rule.tokensPerWindow, rule.windowSeconds);
  return checks;
}
