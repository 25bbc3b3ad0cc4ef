/**
 * @module usage-store
 * Usage rows in the database: the flusher's idempotent batch insert (a row whose id exists is
 * skipped, on SQLite and MariaDB alike) and the usage API's filtered lists and groupings.
 */
import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { SqlDialect } from '@scaigrid/kernel';
import type { UsageRow } from './usage-record.js';

/** Rows per INSERT statement: well below SQLite's and MariaDB's placeholder limits. */
const ROWS_PER_STATEMENT = 200;

export const GROUP_COLUMNS = { model: 'model', key: 'key_id', user: 'user_id', tenant: 'tenant_id', day: 'day' } as const;
export type UsageGrouping = keyof typeof GROUP_COLUMNS;

export interface UsageFilter {
  from?: number;
  to?: number;
  keyId?: string;
  userId?: string;
  tenantId?: string;
  model?: string;
  /** The tenancy wall: rows of these tenants only (with `partnerId`: or of that partner). */
  visible?: { tenantId?: string; partnerId?: string; keyId?: string; userId?: string };
}

export interface UsageGroup {
  group: string | null;
  currency: string;
  requests: number;
  tokensIn: number;
  tokensOut: number;
  costMicros: number;
  estimated: number;
}

export class UsageStore {
  constructor(
    private readonly db: Kysely<any>,
    private readonly dialect: SqlDialect,
    private readonly tableName: string,
  ) {}

  /** Inserts the rows, skipping ids already stored. */
  async insertIgnoringDuplicates(rows: readonly UsageRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const slice = rows.slice(i, i + ROWS_PER_STATEMENT);
      const insert = this.db.insertInto(this.tableName).values(slice as UsageRow[]);
      // MariaDB: a no-op update on a duplicate key (INSERT IGNORE would also hide real data errors).
      if (this.dialect === 'mysql') await insert.onDuplicateKeyUpdate({ id: sql.ref('id') }).execute();
      else await insert.onConflict((oc) => oc.column('id').doNothing()).execute();
    }
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom(this.tableName).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private filtered(filter: UsageFilter): SelectQueryBuilder<any, any, object> {
    let q = this.db.selectFrom(this.tableName);
    if (filter.from !== undefined) q = q.where('created_at', '>=', filter.from);
    if (filter.to !== undefined) q = q.where('created_at', '<', filter.to);
    if (filter.keyId !== undefined) q = q.where('key_id', '=', filter.keyId);
    if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
    if (filter.tenantId !== undefined) q = q.where('tenant_id', '=', filter.tenantId);
    if (filter.model !== undefined) q = q.where('model', '=', filter.model);
    const wall = filter.visible;
    if (wall?.tenantId !== undefined) q = q.where('tenant_id', '=', wall.tenantId);
    if (wall?.partnerId !== undefined) q = q.where('partner_id', '=', wall.partnerId);
    if (wall?.keyId !== undefined) q = q.where('key_id', '=', wall.keyId);
    if (wall?.userId !== undefined) q = q.where('user_id', '=', wall.userId);
    return q;
  }

  /** Newest first; `after` is the cursor of the previous page's last row. */
  async list(filter: UsageFilter, page: { limit: number; after?: { createdAt: number; id: string } }): Promise<{ rows: Record<string, unknown>[]; next?: { createdAt: number; id: string } }> {
    let q = this.filtered(filter).selectAll();
    const after = page.after;
    if (after) q = q.where((eb) => eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]));
    const rows = (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit + 1).execute()) as Record<string, unknown>[];
    const more = rows.length > page.limit;
    const items = more ? rows.slice(0, page.limit) : rows;
    const last = items[items.length - 1];
    return { rows: items, next: more && last ? { createdAt: Number(last.created_at), id: String(last.id) } : undefined };
  }

  async group(filter: UsageFilter, by: UsageGrouping): Promise<UsageGroup[]> {
    const column = GROUP_COLUMNS[by];
    const rows = await this.filtered(filter)
      .select([
        sql.ref(column).as('grp'),
        'currency',
        sql<number>`count(*)`.as('requests'),
        sql<number>`sum(tokens_in)`.as('tokens_in'),
        sql<number>`sum(tokens_out)`.as('tokens_out'),
        sql<number>`sum(cost_micros)`.as('cost_micros'),
        sql<number>`sum(estimated)`.as('estimated'),
      ])
      .groupBy([column, 'currency'])
      .orderBy(column)
      .orderBy('currency')
      .execute();
    return (rows as Record<string, unknown>[]).map((r) => ({
      group: r.grp === null ? null : String(r.grp),
      currency: String(r.currency),
      requests: Number(r.requests),
      tokensIn: Number(r.tokens_in),
      tokensOut: Number(r.tokens_out),
      costMicros: Number(r.cost_micros),
      estimated: Number(r.estimated),
    }));
  }
}
