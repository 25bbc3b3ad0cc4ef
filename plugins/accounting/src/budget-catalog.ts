/**
 * @module budget-catalog
 * Every budget in memory, indexed by whom it limits, so that the request path finds the
 * budgets that apply to a caller without a database query. Reloaded whole on start and when
 * any instance changes a budget (the `accounting.budgets.changed` broadcast).
 */
import type { Caller } from '@scaigrid/plugin-auth';
import type { Budget, BudgetStore } from './budget-store.js';
import type { BudgetScope } from './config.js';

export const BUDGETS_CHANGED_TOPIC = 'accounting.budgets.changed';

export interface BudgetsChangedEvent {
  /** The instance that made the change (it has already reloaded). */
  origin: string;
  budgetId: string;
}

const subjectKey = (scope: BudgetScope, subjectId: string) => `${scope}:${subjectId}`;

/** The subjects a caller's spend counts against: its key, user, tenant and partner. */
export function callerSubjects(caller: Caller): { scope: BudgetScope; subjectId: string }[] {
  const out: { scope: BudgetScope; subjectId: string }[] = [];
  if (caller.keyId) out.push({ scope: 'key', subjectId: caller.keyId });
  if (caller.userId) out.push({ scope: 'user', subjectId: caller.userId });
  if (caller.tenantId) out.push({ scope: 'tenant', subjectId: caller.tenantId });
  if (caller.partnerId) out.push({ scope: 'partner', subjectId: caller.partnerId });
  return out;
}

export class BudgetCatalog {
  private bySubject = new Map<string, Budget[]>();
  private byId = new Map<string, Budget>();
  private readonly reloaded: (() => void)[] = [];

  constructor(private readonly store: BudgetStore) {}

  /** Calls `listener` after every reload (a budget was created, changed or deleted somewhere). */
  onReload(listener: () => void): void {
    this.reloaded.push(listener);
  }

  async reload(): Promise<void> {
    const budgets = await this.store.all();
    const bySubject = new Map<string, Budget[]>();
    for (const budget of budgets) {
      const key = subjectKey(budget.scope, budget.subjectId);
      bySubject.set(key, [...(bySubject.get(key) ?? []), budget]);
    }
    this.bySubject = bySubject;
    this.byId = new Map(budgets.map((b) => [b.id, b]));
    for (const listener of this.reloaded) listener();
  }

  all(): Budget[] {
    return [...this.byId.values()];
  }

  get(id: string): Budget | undefined {
    return this.byId.get(id);
  }

  forSubject(scope: BudgetScope, subjectId: string): readonly Budget[] {
    return this.bySubject.get(subjectKey(scope, subjectId)) ?? [];
  }

  /**
   * The budgets a caller's request counts against, in one currency (a budget only limits spend
   * priced in its own currency; there is no conversion).
   */
  applicable(caller: Caller, currency?: string): Budget[] {
    const out: Budget[] = [];
    for (const { scope, subjectId } of callerSubjects(caller)) {
      for (const budget of this.forSubject(scope, subjectId)) if (currency === undefined || budget.currency === currency) out.push(budget);
    }
    return out;
  }
}
