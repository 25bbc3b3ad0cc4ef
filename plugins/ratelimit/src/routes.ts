/**
 * @module routes
 * `/v1/admin/rate-limits` (`admin:access`): list, read, create, update and delete rules. A
 * change is written to the database, then every instance's RuleCache reloads (this one at
 * once, the others on the broadcast). A tenant rule may name the tenant by slug; it is
 * stored by id.
 */
import { GatewayError, readBody, readQuery, validationError } from '@scaigrid/kernel';
import { ADMIN_ACCESS, type AuthService } from '@scaigrid/plugin-auth';
import { Hono } from 'hono';
import { z } from 'zod';
import { LIMIT_SCOPES, limitValueProblems, type LimitRule, type LimitScope, type LimitValues } from './limit-rule.js';
import type { RuleCache } from './rule-cache.js';
import { isUniqueViolation, type RuleStore } from './rule-store.js';

const count = z.number().int().min(0).max(1_000_000_000_000).nullable();
const valueFields = {
  requests_per_minute: count.optional(),
  requests_per_window: count.optional(),
  tokens_per_minute: count.optional(),
  tokens_per_window: count.optional(),
  window_seconds: z.number().int().min(1).max(31 * 86_400).nullable().optional(),
};
const createSchema = z.strictObject({ scope: z.enum(LIMIT_SCOPES), subject_id: z.string().min(1).max(64).nullable().optional(), ...valueFields });
const updateSchema = z.strictObject(valueFields);
const listQuery = z.object({ scope: z.enum(LIMIT_SCOPES).optional(), subject_id: z.string().min(1).max(64).optional() });

const SNAKE: Record<keyof LimitValues, string> = {
  requestsPerMinute: 'requests_per_minute',
  requestsPerWindow: 'requests_per_window',
  tokensPerMinute: 'tokens_per_minute',
  tokensPerWindow: 'tokens_per_window',
  windowSeconds: 'window_seconds',
};

export const ruleJson = (r: LimitRule) => ({
  id: r.id,
  scope: r.scope,
  subject_id: r.subjectId,
  requests_per_minute: r.requestsPerMinute,
  requests_per_window: r.requestsPerWindow,
  tokens_per_minute: r.tokensPerMinute,
  tokens_per_window: r.tokensPerWindow,
  window_seconds: r.windowSeconds,
  created_at: new Date(r.createdAt).toISOString(),
  updated_at: new Date(r.updatedAt).toISOString(),
});

type ValueInput = { [K in keyof typeof valueFields]?: number | null };

function mergeValues(base: LimitValues, input: ValueInput): LimitValues {
  const pick = (value: number | null | undefined, previous: number | null) => (value === undefined ? previous : value);
  const values: LimitValues = {
    requestsPerMinute: pick(input.requests_per_minute, base.requestsPerMinute),
    requestsPerWindow: pick(input.requests_per_window, base.requestsPerWindow),
    tokensPerMinute: pick(input.tokens_per_minute, base.tokensPerMinute),
    tokensPerWindow: pick(input.tokens_per_window, base.tokensPerWindow),
    windowSeconds: pick(input.window_seconds, base.windowSeconds),
  };
  const problems = limitValueProblems(values);
  if (problems.length > 0) throw validationError(problems.map(([field, message]) => ({ field: SNAKE[field as keyof LimitValues], message })), 'request body');
  return values;
}

const EMPTY: LimitValues = { requestsPerMinute: null, requestsPerWindow: null, tokensPerMinute: null, tokensPerWindow: null, windowSeconds: null };

export interface RouteDeps {
  auth: AuthService;
  store: RuleStore;
  cache: RuleCache;
}

/** A tenant given by slug or id, stored by id; anything the caller cannot see is 404. */
export async function subjectIdFor(auth: AuthService, caller: Parameters<AuthService['visibleTenant']>[0], scope: LimitScope, subjectId: string): Promise<string> {
  return scope === 'tenant' ? (await auth.visibleTenant(caller, subjectId)).id : subjectId;
}

export function rateLimitRoutes({ auth, store, cache }: RouteDeps): Hono {
  const app = new Hono();
  app.use('*', auth.requirePermission(ADMIN_ACCESS));
  const found = async (id: string) => {
    const rule = await store.get(id);
    if (!rule) throw new GatewayError('NOT_FOUND', `Rate-limit rule '${id}' not found.`);
    return rule;
  };

  app.get('/', async (c) => {
    const query = readQuery(c, listQuery);
    const rules = (await store.all()).filter((r) => (query.scope === undefined || r.scope === query.scope) && (query.subject_id === undefined || r.subjectId === query.subject_id));
    return c.json({ data: rules.map(ruleJson) });
  });

  app.get('/:id', async (c) => c.json(ruleJson(await found(c.req.param('id')))));

  app.post('/', async (c) => {
    const body = await readBody(c, createSchema);
    const values = mergeValues(EMPTY, body);
    const subjectId = body.subject_id ? await subjectIdFor(auth, auth.caller(c), body.scope, body.subject_id) : null;
    let rule: LimitRule;
    try {
      rule = await store.create(body.scope, subjectId, values);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      throw new GatewayError('CONFLICT', `A ${body.scope} rule for '${subjectId ?? 'every ' + body.scope}' exists already; update it with PATCH.`);
    }
    await cache.changed();
    return c.json(ruleJson(rule), 201);
  });

  app.patch('/:id', async (c) => {
    const body = await readBody(c, updateSchema);
    const rule = await found(c.req.param('id'));
    await store.update(rule.id, mergeValues(rule, body));
    await cache.changed();
    return c.json(ruleJson(await found(rule.id)));
  });

  app.delete('/:id', async (c) => {
    const rule = await found(c.req.param('id'));
    await store.delete(rule.id);
    await cache.changed();
    return c.body(null, 204);
  });

  return app;
}
