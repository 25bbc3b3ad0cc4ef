/**
 * @module budget-admin
 * Writing budgets (admin API and config seeds): resolve whom a budget limits and which tenant
 * owns it (for the tenancy wall), store it, reload this instance's catalog and tell every
 * other instance to reload theirs. One budget per scope + subject + period + currency.
 */
import { GatewayError, type EventBus } from '@scaigrid/kernel';
import type { AuthService, Caller } from '@scaigrid/plugin-auth';
import type { ModuleContext } from '@scaigrid/kernel';
import { newUlid } from '@scaigrid/kernel';
import { BUDGETS_CHANGED_TOPIC, type BudgetCatalog, type BudgetsChangedEvent } from './budget-catalog.js';
import { isDuplicateKey, type Budget, type BudgetChanges, type BudgetStore } from './budget-store.js';
import type { BudgetPeriod, BudgetScope, SeedBudget } from './config.js';
import { parseAmountMicros } from './money.js';

type Logger = ModuleContext['log'];

export interface BudgetInput {
  scope: BudgetScope;
  subject: string;
  period: BudgetPeriod;
  amountMicros: number;
  currency: string;
  /** Owner tenant (id or slug) of a key or user budget. */
  tenant?: string;
}

export interface BudgetAdminDeps {
  store: BudgetStore;
  catalog: BudgetCatalog;
  events: EventBus;
  auth: AuthService;
  instanceId: string;
  log: Logger;
}

/** Accounting's own identity for seeds (which name any tenant). */
export const SYSTEM_CALLER: Caller = Object.freeze({ kind: 'service', roles: [], permissions: new Set(['admin:access']) });

export class BudgetAdmin {
  constructor(private readonly deps: BudgetAdminDeps) {}

  private async owner(caller: Caller, input: Pick<BudgetInput, 'scope' | 'subject' | 'tenant'>): Promise<Pick<Budget, 'subjectId' | 'tenantId' | 'partnerId'>> {
    if (input.scope === 'tenant') {
      if (input.tenant !== undefined) throw new GatewayError('VALIDATION_ERROR', "Invalid request body: 'tenant_id': a tenant budget's owner is its subject; leave tenant_id out.");
      const tenant = await this.deps.auth.visibleTenant(caller, input.subject);
      return { subjectId: tenant.id, tenantId: tenant.id, partnerId: tenant.partnerId };
    }
    if (input.scope === 'partner') {
      if (input.tenant !== undefined) throw new GatewayError('VALIDATION_ERROR', "Invalid request body: 'tenant_id': a partner budget has no owner tenant; leave tenant_id out.");
      return { subjectId: input.subject, tenantId: null, partnerId: input.subject };
    }
    if (input.tenant === undefined) return { subjectId: input.subject, tenantId: null, partnerId: null };
    const tenant = await this.deps.auth.visibleTenant(caller, input.tenant);
    return { subjectId: input.subject, tenantId: tenant.id, partnerId: tenant.partnerId };
  }

  async create(caller: Caller, input: BudgetInput): Promise<Budget> {
    const owner = await this.owner(caller, input);
    const existing = await this.deps.store.findBySubject(input.scope, owner.subjectId, input.period, input.currency);
    if (existing) throw this.conflict(input, existing.id);
    const now = Date.now();
    const budget: Budget = { id: newUlid(now), scope: input.scope, period: input.period, amountMicros: input.amountMicros, currency: input.currency, ...owner, createdAt: now, updatedAt: now };
    try {
      await this.deps.store.insert(budget);
    } catch (err) {
      if (isDuplicateKey(err)) throw this.conflict(input);
      throw err;
    }
    await this.changed(budget.id);
    return budget;
  }

  async update(id: string, changes: BudgetChanges): Promise<Budget> {
    const budget = await this.deps.store.get(id);
    if (!budget) throw new GatewayError('NOT_FOUND', `Budget '${id}' not found.`);
    try {
      await this.deps.store.update(id, changes, Date.now());
    } catch (err) {
      if (isDuplicateKey(err)) throw new GatewayError('CONFLICT', `Another ${changes.period} budget already limits this ${budget.scope} in ${budget.currency}.`);
      throw err;
    }
    await this.changed(id);
    return (await this.deps.store.get(id))!;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.deps.store.delete(id))) throw new GatewayError('NOT_FOUND', `Budget '${id}' not found.`);
    await this.changed(id);
  }

  /** Creates or updates each seeded budget (by scope + subject + period + currency); returns how many changed. */
  async seed(seeds: readonly SeedBudget[]): Promise<number> {
    let changed = 0;
    for (const [index, seed] of seeds.entries()) {
      const amountMicros = seed.amountMicros ?? (seed.amount === undefined ? undefined : parseAmountMicros(seed.amount));
      if (amountMicros === undefined) throw new Error(`[ACCOUNTING_SEED_INVALID] accounting.budgets.${index}: give amount (a decimal) or amountMicros.`);
      const input: BudgetInput = { scope: seed.scope, subject: seed.subject, period: seed.period, amountMicros, currency: seed.currency, tenant: seed.tenant };
      const owner = await this.owner(SYSTEM_CALLER, input).catch((err: unknown) => {
        throw new Error(`[ACCOUNTING_SEED_INVALID] accounting.budgets.${index}: ${(err as Error).message}`);
      });
      const existing = await this.deps.store.findBySubject(input.scope, owner.subjectId, input.period, input.currency);
      if (existing) {
        if (existing.amountMicros === amountMicros && existing.tenantId === owner.tenantId) continue;
        await this.deps.store.update(existing.id, { amountMicros, tenantId: owner.tenantId, partnerId: owner.partnerId }, Date.now());
      } else {
        const now = Date.now();
        try {
          await this.deps.store.insert({ id: newUlid(now), scope: input.scope, period: input.period, amountMicros, currency: input.currency, ...owner, createdAt: now, updatedAt: now });
        } catch (err) {
          // Another instance seeded the same budget at the same moment.
          if (!isDuplicateKey(err)) throw err;
        }
      }
      changed++;
    }
    if (changed > 0) await this.changed('seed');
    return changed;
  }

  private conflict(input: BudgetInput, existingId?: string): GatewayError {
    const which = existingId ? ` ('${existingId}'; change it with PATCH)` : '';
    return new GatewayError('CONFLICT', `A ${input.period} ${input.scope} budget in ${input.currency} already exists for '${input.subject}'${which}.`);
  }

  private async changed(budgetId: string): Promise<void> {
    await this.deps.catalog.reload();
    const event: BudgetsChangedEvent = { origin: this.deps.instanceId, budgetId };
    // The write is done; a bus hiccup only delays other instances (they reload on restart).
    await this.deps.events.publish(BUDGETS_CHANGED_TOPIC, event).catch((err: unknown) => {
      this.deps.log.error({ err, budgetId }, `Could not broadcast ${BUDGETS_CHANGED_TOPIC}`);
    });
  }
}
