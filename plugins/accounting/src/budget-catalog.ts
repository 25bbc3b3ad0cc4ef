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

/** The subjects a caller's spend counts against: its key, user, tenant and partner. */
const CALLER_SUBJECTS = [
  ['key', (caller: Caller) => caller.keyId],
  ['user', (caller: Caller) => caller.userId],
  ['tenant', (caller: Caller) => caller.tenantId],
  ['partner', (caller: Caller) => caller.partnerId],
] as const satisfies readonly (readonly [BudgetScope, (caller: Caller) => string | null | undefined])[];

export class BudgetCatalog {
  /**
   * By scope, then subject id: a request looks its subjects up with the caller's own id
   * strings, whose hashes V8 keeps, where a joined `scope:id` key was a new string to hash on
   * every request.
   */
  private bySubject = new Map<BudgetScope, Map<string, Budget[]>>();
  private byId = new Map<string, Budget>();
  private readonly reloaded: (() => void)[] = [];

  constructor(private readonly store: BudgetStore) {}

  /** Calls `listener` after every reload (a budget was created, changed or deleted somewhere). */
  onReload(listener: () => void): void {
    this.reloaded.push(listener);
  }

  async reload(): Promise<void> {
    const budgets = await this.store.all();
    const bySubject = new Map<BudgetScope, Map<string, Budget[]>>();
    for (const budget of budgets) {
      let ofScope = bySubject.get(budget.scope);
      if (!ofScope) bySubject.set(budget.scope, (ofScope = new Map()));
      ofScope.set(budget.subjectId, [...(ofScope.get(budget.subjectId) ?? []), budget]);
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
    return this.bySubject.get(scope)?.get(subjectId) ?? [];
  }

  /**
   * The budgets a caller's request counts against, in one currency (a budget only limits spend
   * priced in its own currency; there is no conversion).
   */
  applicable(caller: Caller, currency?: string): Budget[] {
    const out: Budget[] = [];
    for (const [scope, idOf] of CALLER_SUBJECTS) {
      const subjectId = idOf(caller);
      if (!subjectId) continue;
      for (const budget of this.forSubject(scope, subjectId)) if (currency === undefined || budget.currency === currency) out.push(budget);
    }
    return out;
  }
}
