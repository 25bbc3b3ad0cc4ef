/**
 * @module routes/usage
 * `/v1/usage`: usage records (flushed to the database by the worker) with filters and
 * grouping, and `/v1/usage/current`: the calling credential's live spend and remaining budget.
 * What a caller sees follows the tenancy wall: `admin:access` everything, `usage:read` its
 * tenant's (a partner admin: its partner's), anyone else its own key's (or, for a token, its
 * own user's) usage.
 */
import { Hono } from 'hono';
import { GatewayError } from '@scaigrid/kernel';
import { tenantScope, type AuthService, type Caller } from '@scaigrid/plugin-auth';
import { z } from 'zod';
import type { BudgetCatalog } from '../budget-catalog.js';
import { windowsAt, type BudgetLedger } from '../budget-ledger.js';
import { budgetStatusJson } from '../budget-view.js';
import { formatAmount } from '../money.js';
import { USAGE_READ } from '../permissions.js';
import { usageJson } from '../usage-record.js';
import { GROUP_COLUMNS, type UsageFilter, type UsageGrouping, type UsageStore } from '../usage-store.js';
import { instantParam, readQuery } from './http-helpers.js';

const usageQuery = z.strictObject({
  from: instantParam.optional(),
  to: instantParam.optional(),
  key: z.string().min(1).max(64).optional(),
  user: z.string().min(1).max(64).optional(),
  tenant: z.string().min(1).max(64).optional(),
  model: z.string().min(1).max(128).optional(),
  group_by: z.enum(Object.keys(GROUP_COLUMNS) as [UsageGrouping, ...UsageGrouping[]]).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.string().min(1).max(200).optional(),
});

const encodeCursor = (c: { createdAt: number; id: string }) => Buffer.from(`${c.createdAt}.${c.id}`).toString('base64url');
function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('.');
  if (!at || !id || !/^\d+$/.test(at)) throw new GatewayError('VALIDATION_ERROR', "Invalid query: 'after': not a cursor this API returned.");
  return { createdAt: Number(at), id };
}

/** The rows a caller may see, as a filter. */
function wall(auth: AuthService, caller: Caller): UsageFilter['visible'] {
  if (auth.hasPermission(caller, USAGE_READ)) {
    const scope = tenantScope(caller);
    if (scope.kind === 'all') return {};
    if (scope.kind === 'tenant') return { tenantId: scope.tenantId };
    if (scope.kind === 'partner') return { partnerId: scope.partnerId };
  }
  if (caller.keyId) return { keyId: caller.keyId };
  if (caller.userId) return { userId: caller.userId };
  throw new GatewayError('FORBIDDEN', `This credential has no usage of its own to read; reading a tenant's usage needs '${USAGE_READ}'.`);
}

export interface UsageRoutesDeps {
  auth: AuthService;
  usage: UsageStore;
  catalog: BudgetCatalog;
  ledger: BudgetLedger;
}

export function usageRoutes({ auth, usage, catalog, ledger }: UsageRoutesDeps): Hono {
  const app = new Hono();

  app.get('/', async (c) => {
    const caller = auth.caller(c);
    const query = readQuery(c, usageQuery);
    const filter: UsageFilter = {
      from: query.from,
      to: query.to,
      keyId: query.key,
      userId: query.user,
      model: query.model,
      tenantId: query.tenant === undefined ? undefined : (await auth.visibleTenant(caller, query.tenant)).id,
      visible: wall(auth, caller),
    };
    if (query.group_by) {
      const groups = await usage.group(filter, query.group_by);
      return c.json({
        group_by: query.group_by,
        data: groups.map((g) => ({
          [query.group_by!]: g.group,
          currency: g.currency,
          requests: g.requests,
          tokens_in: g.tokensIn,
          tokens_out: g.tokensOut,
          cost_micros: g.costMicros,
          cost: formatAmount(g.costMicros),
          estimated_requests: g.estimated,
        })),
      });
    }
    const page = await usage.list(filter, { limit: query.limit, after: query.after === undefined ? undefined : decodeCursor(query.after) });
    return c.json({ data: page.rows.map(usageJson), next_cursor: page.next ? encodeCursor(page.next) : null });
  });

  app.get('/current', async (c) => {
    const caller = auth.caller(c);
    const now = Date.now();
    const states = await ledger.status(windowsAt(catalog.applicable(caller), now), now);
    return c.json({ key_id: caller.keyId ?? null, data: states.map(budgetStatusJson) });
  });

  return app;
}
