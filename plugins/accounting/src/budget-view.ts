/**
 * @module budget-view
 * Budgets and their live state as the API shows them: snake_case, money both as integer
 * micro-units (exact) and as a decimal string (for people), and who may see which budget
 * (the tenancy wall: an admin every budget, a tenant admin its tenant's, a partner admin its
 * partner's and its tenants').
 */
import { tenantScope, type Caller } from '@scaigrid/plugin-auth';
import type { BudgetState } from './budget-ledger.js';
import type { Budget } from './budget-store.js';
import { formatAmount } from './money.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function budgetJson(b: Budget) {
  return {
    id: b.id,
    scope: b.scope,
    subject_id: b.subjectId,
    period: b.period,
    amount: formatAmount(b.amountMicros),
    amount_micros: b.amountMicros,
    currency: b.currency,
    tenant_id: b.tenantId,
    partner_id: b.partnerId,
    created_at: iso(b.createdAt),
    updated_at: iso(b.updatedAt),
  };
}

export function budgetStatusJson(s: BudgetState) {
  const remaining = Math.max(0, s.budget.amountMicros - s.spentMicros - s.heldMicros);
  return {
    budget_id: s.budget.id,
    scope: s.budget.scope,
    subject_id: s.budget.subjectId,
    period: s.budget.period,
    period_start: s.window.end === null ? null : iso(s.window.start),
    period_end: s.window.end === null ? null : iso(s.window.end),
    currency: s.budget.currency,
    amount_micros: s.budget.amountMicros,
    spent_micros: s.spentMicros,
    held_micros: s.heldMicros,
    // Set aside by gateway instances to admit requests without a Redis round trip (their running
    // requests included); still this budget's to spend, so not taken off `remaining`.
    leased_micros: s.leasedMicros,
    remaining_micros: remaining,
    amount: formatAmount(s.budget.amountMicros),
    spent: formatAmount(s.spentMicros),
    remaining: formatAmount(remaining),
  };
}

export function canSeeBudget(caller: Caller, budget: Budget): boolean {
  const scope = tenantScope(caller);
  if (scope.kind === 'all') return true;
  if (scope.kind === 'tenant') return budget.tenantId === scope.tenantId;
  if (scope.kind === 'partner') return budget.partnerId === scope.partnerId;
  return false;
}
