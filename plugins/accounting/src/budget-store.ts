/**
 * @module budget-store
 * Budgets in the database (`accounting_budgets`). Only the admin API, seeds and cache reloads
 * touch it; the request path reads the in-memory BudgetCatalog.
 */
import type { Kysely } from 'kysely';
import type { BudgetPeriod, BudgetScope } from './config.js';

export interface Budget {
  id: string;
  scope: BudgetScope;
  /** The key, user, tenant or partner id the budget limits. */
  subjectId: string;
  period: BudgetPeriod;
  amountMicros: number;
  currency: string;
  /** Owner tenant, for the tenancy wall (a tenant budget's own tenant; optional for key/user budgets). */
  tenantId: string | null;
  partnerId: string | null;
  createdAt: number;
  updatedAt: number;
}

interface BudgetRow {
  id: string;
  scope: string;
  subject_id: string;
  period: string;
  amount_micros: number | string;
  currency: string;
  tenant_id: string | null;
  partner_id: string | null;
  created_at: number | string;
  updated_at: number | string;
}

const fromRow = (r: BudgetRow): Budget => ({
  id: r.id,
  scope: r.scope as BudgetScope,
  subjectId: r.subject_id,
  period: r.period as BudgetPeriod,
  amountMicros: Number(r.amount_micros),
  currency: r.currency,
  tenantId: r.tenant_id,
  partnerId: r.partner_id,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export type BudgetChanges = Partial<Pick<Budget, 'amountMicros' | 'period' | 'tenantId' | 'partnerId'>>;

/** Unique-index violations on both dialects (SQLite and MariaDB). */
export function isDuplicateKey(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code ?? '';
  return code === 'ER_DUP_ENTRY' || code.startsWith('SQLITE_CONSTRAINT');
}

export class BudgetStore {
  constructor(
    private readonly db: Kysely<any>,
    private readonly tableName: string,
  ) {}

  async all(): Promise<Budget[]> {
    const rows = (await this.db.selectFrom(this.tableName).selectAll().orderBy('id').execute()) as BudgetRow[];
    return rows.map(fromRow);
  }

  async get(id: string): Promise<Budget | undefined> {
    const row = (await this.db.selectFrom(this.tableName).selectAll().where('id', '=', id).executeTakeFirst()) as BudgetRow | undefined;
    return row && fromRow(row);
  }

  async findBySubject(scope: BudgetScope, subjectId: string, period: BudgetPeriod, currency: string): Promise<Budget | undefined> {
    const row = (await this.db
      .selectFrom(this.tableName)
      .selectAll()
      .where('scope', '=', scope)
      .where('subject_id', '=', subjectId)
      .where('period', '=', period)
      .where('currency', '=', currency)
      .executeTakeFirst()) as BudgetRow | undefined;
    return row && fromRow(row);
  }

  async insert(budget: Budget): Promise<void> {
    await this.db
      .insertInto(this.tableName)
      .values({
        id: budget.id,
        scope: budget.scope,
        subject_id: budget.subjectId,
        period: budget.period,
        amount_micros: budget.amountMicros,
        currency: budget.currency,
        tenant_id: budget.tenantId,
        partner_id: budget.partnerId,
        created_at: budget.createdAt,
        updated_at: budget.updatedAt,
      })
      .execute();
  }

  async update(id: string, changes: BudgetChanges, at: number): Promise<void> {
    const values: Record<string, unknown> = { updated_at: at };
    if (changes.amountMicros !== undefined) values.amount_micros = changes.amountMicros;
    if (changes.period !== undefined) values.period = changes.period;
    if (changes.tenantId !== undefined) values.tenant_id = changes.tenantId;
    if (changes.partnerId !== undefined) values.partner_id = changes.partnerId;
    await this.db.updateTable(this.tableName).set(values).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom(this.tableName).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
