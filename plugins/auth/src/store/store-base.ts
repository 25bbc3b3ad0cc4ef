/**
 * @module store/store-base
 * What every auth store shares: the database, table names, paging by ULID (ids sort by
 * creation time, so `after=<last id>` is a stable cursor) and the tenancy filter that keeps a
 * query inside what the caller may see, so the wall is enforced by the query, not by hope.
 */
import { sql, type ExpressionBuilder, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { TenantScope } from '../tenancy.js';

export interface StoreDeps {
  db: Kysely<any>;
  table(name: string): string;
}

export interface Page {
  limit: number;
  after?: string;
}

export interface PageResult<T> {
  items: T[];
  nextCursor: string | null;
}

export function pageOf<T extends { id: string }>(rows: T[], limit: number): PageResult<T> {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
}

const nothing = () => sql<SqlBool>`1 = 0`;

/**
 * Filter for rows owned by a tenant (`tenant_id`) or a partner (`partner_id`, tenant_id null):
 * users and keys. A partner sees its own rows and those of its tenants.
 */
export function ownedRowsFilter(tenantsTable: string, scope: TenantScope) {
  return (eb: ExpressionBuilder<any, any>): Expression<SqlBool> => {
    switch (scope.kind) {
      case 'all':
        return sql<SqlBool>`1 = 1`;
      case 'tenant':
        return eb('tenant_id', '=', scope.tenantId);
      case 'partner':
        return eb.or([
          eb('tenant_id', 'in', eb.selectFrom(tenantsTable).select('id').where('partner_id', '=', scope.partnerId)),
          eb.and([eb('tenant_id', 'is', null), eb('partner_id', '=', scope.partnerId)]),
        ]);
      default:
        return nothing();
    }
  };
}

/** Filter for the tenants table itself. */
export function tenantsFilter(scope: TenantScope) {
  return (eb: ExpressionBuilder<any, any>): Expression<SqlBool> => {
    switch (scope.kind) {
      case 'all':
        return sql<SqlBool>`1 = 1`;
      case 'tenant':
        return eb('id', '=', scope.tenantId);
      case 'partner':
        return eb('partner_id', '=', scope.partnerId);
      default:
        return nothing();
    }
  };
}
