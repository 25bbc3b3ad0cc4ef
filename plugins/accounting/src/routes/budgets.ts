/**
 * @module routes/budgets
 * `/v1/admin/budgets`: list and read (`usage:read`, behind the tenancy wall), create, update
 * and delete (`admin:access`), and live status (`/status?key=&user=&tenant=&partner=`,
 * `/:id/status`): spent, held and remaining in the current period window.
 */
import { Hono, type Context } from 'hono';
import { GatewayError } from '@scaigrid/kernel';
import type { AuthService } from '@scaigrid/plugin-auth';
import { z } from 'zod';
import type { BudgetAdmin } from '../budget-admin.js';
import { windowsAt, type BudgetLedger } from '../budget-ledger.js';
import type { Budget, BudgetStore } from '../budget-store.js';
import { budgetJson, budgetStatusJson, canSeeBudget } from '../budget-view.js';
import { amountInput, BUDGET_PERIODS, BUDGET_SCOPES, currencyField } from '../config.js';
import { parseAmountMicros } from '../money.js';
import { ADMIN_ACCESS, USAGE_READ } from '../permissions.js';
import { notFound, readBody, readQuery } from './http-helpers.js';

const amountFields = {
  amount: amountInput.optional(),
  amount_micros: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
};
const createSchema = z.strictObject({
  scope: z.enum(BUDGET_SCOPES),
  subject_id: z.string().min(1).max(64),
  period: z.enum(BUDGET_PERIODS),
  ...amountFields,
  currency: currencyField.default('USD'),
  tenant_id: z.string().min(1).max(64).optional(),
});
const updateSchema = z.strictObject({ period: z.enum(BUDGET_PERIODS).optional(), ...amountFields });
const listQuery = z.strictObject({ scope: z.enum(BUDGET_SCOPES).optional(), subject_id: z.string().min(1).optional() });
const statusQuery = z.strictObject({ key: z.string().min(1).optional(), user: z.string().min(1).optional(), tenant: z.string().min(1).optional(), partner: z.string().min(1).optional() });

function amountMicros(body: { amount?: string | number; amount_micros?: number }, required: boolean): number | undefined {
  if (body.amount !== undefined && body.amount_micros !== undefined) throw new GatewayError('VALIDATION_ERROR', "Invalid request body: 'amount_micros': give amount or amount_micros, not both.");
  if (body.amount_micros !== undefined) return body.amount_micros;
  if (body.amount !== undefined) {
    const micros = parseAmountMicros(body.amount);
    if (micros === undefined) throw new GatewayError('VALIDATION_ERROR', "Invalid request body: 'amount': a decimal with at most 6 fraction digits, e.g. \"12.50\".");
    return micros;
  }
  if (required) throw new GatewayError('VALIDATION_ERROR', "Invalid request body: 'amount': required (a decimal such as \"12.50\", or amount_micros).");
  return undefined;
}

export interface BudgetRoutesDeps {
  auth: AuthService;
  store: BudgetStore;
  ledger: BudgetLedger;
  admin: BudgetAdmin;
}

export function budgetRoutes(deps: BudgetRoutesDeps): Hono {
  const { auth, store, ledger, admin } = deps;
  const app = new Hono();
  const canRead = auth.requirePermission(USAGE_READ);
  const canWrite = auth.requirePermission(ADMIN_ACCESS);

  const visible = async (c: Context, id: string): Promise<Budget> => {
    const budget = await store.get(id);
    if (!budget || !canSeeBudget(auth.caller(c), budget)) throw notFound('Budget', id);
    return budget;
  };

  app.get('/', canRead, async (c) => {
    const query = readQuery(c, listQuery);
    const caller = auth.caller(c);
    const budgets = (await store.all()).filter(
      (b) => canSeeBudget(caller, b) && (query.scope === undefined || b.scope === query.scope) && (query.subject_id === undefined || b.subjectId === query.subject_id),
    );
    return c.json({ data: budgets.map(budgetJson), next_cursor: null });
  });

  app.get('/status', canRead, async (c) => {
    const query = readQuery(c, statusQuery);
    const caller = auth.caller(c);
    const tenantId = query.tenant === undefined ? undefined : (await auth.visibleTenant(caller, query.tenant)).id;
    const subjects: [Budget['scope'], string | undefined][] = [['key', query.key], ['user', query.user], ['tenant', tenantId], ['partner', query.partner]];
    if (subjects.every(([, id]) => id === undefined)) throw new GatewayError('VALIDATION_ERROR', "Invalid query: 'key': name at least one of key, user, tenant or partner.");
    const budgets = (await store.all()).filter((b) => canSeeBudget(caller, b) && subjects.some(([scope, id]) => id !== undefined && b.scope === scope && b.subjectId === id));
    const now = Date.now();
    return c.json({ data: (await ledger.status(windowsAt(budgets, now), now)).map(budgetStatusJson) });
  });

  app.get('/:id', canRead, async (c) => c.json(budgetJson(await visible(c, c.req.param('id')))));

  app.get('/:id/status', canRead, async (c) => {
    const budget = await visible(c, c.req.param('id'));
    const now = Date.now();
    const [state] = await ledger.status(windowsAt([budget], now), now);
    return c.json(budgetStatusJson(state!));
  });

  app.post('/', canWrite, async (c) => {
    const body = await readBody(c, createSchema);
    const micros = amountMicros(body, true)!;
    const budget = await admin.create(auth.caller(c), { scope: body.scope, subject: body.subject_id, period: body.period, amountMicros: micros, currency: body.currency, tenant: body.tenant_id });
    return c.json(budgetJson(budget), 201);
  });

  app.patch('/:id', canWrite, async (c) => {
    const body = await readBody(c, updateSchema);
    const micros = amountMicros(body, false);
    await visible(c, c.req.param('id'));
    return c.json(budgetJson(await admin.update(c.req.param('id'), { amountMicros: micros, period: body.period })));
  });

  app.delete('/:id', canWrite, async (c) => {
    await visible(c, c.req.param('id'));
    await admin.delete(c.req.param('id'));
    return c.body(null, 204);
  });

  return app;
}
