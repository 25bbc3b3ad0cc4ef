/**
 * @module audit-store
 * Audit rows in the database: batch inserts from the writer, filtered newest-first pages for
 * the API, and deletion of expired rows in small batches (short transactions for Galera).
 */
import type { Kysely } from 'kysely';
import type { AuditRecord } from './audit-record.js';

export interface AuditQuery {
  from?: number;
  to?: number;
  actor?: string;
  /** Exact tenant id; `tenantIds` narrows further to what the caller may see. */
  tenantId?: string;
  tenantIds?: readonly string[];
  method?: string;
  pathPrefix?: string;
  status?: number;
  /** Status class: 2 for 2xx, 4 for 4xx... */
  statusClass?: number;
  /** Id of the last row of the previous page (rows are newest first). */
  cursor?: string;
  limit: number;
}

interface AuditRow {
  id: string;
  at: number | string;
  actor_kind: string;
  actor_id: string | null;
  key_id: string | null;
  user_id: string | null;
  tenant_id: string | null;
  partner_id: string | null;
  method: string;
  path: string;
  status: number | string;
  request_id: string;
  summary: string | null;
}

const toRow = (r: AuditRecord): AuditRow => ({
  id: r.id,
  at: r.at,
  actor_kind: r.actorKind,
  actor_id: r.actorId,
  key_id: r.keyId,
  user_id: r.userId,
  tenant_id: r.tenantId,
  partner_id: r.partnerId,
  method: r.method,
  path: r.path,
  status: r.status,
  request_id: r.requestId,
  summary: r.summary,
});

const fromRow = (r: AuditRow): AuditRecord => ({
  id: r.id,
  at: Number(r.at),
  actorKind: r.actor_kind,
  actorId: r.actor_id,
  keyId: r.key_id,
  userId: r.user_id,
  tenantId: r.tenant_id,
  partnerId: r.partner_id,
  method: r.method,
  path: r.path,
  status: Number(r.status),
  requestId: r.request_id,
  summary: r.summary,
});

/** `LIKE` treats % and _ as wildcards; a path prefix must match literally. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

export class AuditStore {
  constructor(
    private readonly db: Kysely<any>,
    private readonly tableName: string,
  ) {}

  async insert(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.db.insertInto(this.tableName).values(records.map(toRow)).execute();
  }

  /** One page, newest first; `nextCursor` is set when more rows may follow. */
  async query(q: AuditQuery): Promise<{ items: AuditRecord[]; nextCursor: string | null }> {
    if (q.tenantIds !== undefined && q.tenantIds.length === 0) return { items: [], nextCursor: null };
    let query = this.db.selectFrom(this.tableName).selectAll();
    if (q.from !== undefined) query = query.where('at', '>=', q.from);
    if (q.to !== undefined) query = query.where('at', '<', q.to);
    if (q.actor !== undefined) query = query.where((eb) => eb.or([eb('actor_id', '=', q.actor!), eb('key_id', '=', q.actor!), eb('user_id', '=', q.actor!)]));
    if (q.tenantId !== undefined) query = query.where('tenant_id', '=', q.tenantId);
    if (q.tenantIds !== undefined) query = query.where('tenant_id', 'in', q.tenantIds);
    if (q.method !== undefined) query = query.where('method', '=', q.method);
    if (q.pathPrefix !== undefined) query = query.where('path', 'like', likePrefix(q.pathPrefix));
    if (q.status !== undefined) query = query.where('status', '=', q.status);
    if (q.statusClass !== undefined) query = query.where('status', '>=', q.statusClass * 100).where('status', '<', q.statusClass * 100 + 100);
    if (q.cursor !== undefined) query = query.where('id', '<', q.cursor);
    const rows = (await query.orderBy('id', 'desc').limit(q.limit + 1).execute()) as AuditRow[];
    const items = rows.slice(0, q.limit).map(fromRow);
    return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
  }

  /** Deletes up to `batch` rows older than `before`; resolves with how many were deleted. */
  async deleteOlderThan(before: number, batch: number): Promise<number> {
    const ids = (await this.db.selectFrom(this.tableName).select('id').where('at', '<', before).orderBy('id').limit(batch).execute()).map((r) => r.id as string);
    if (ids.length === 0) return 0;
    const result = await this.db.deleteFrom(this.tableName).where('id', 'in', ids).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
