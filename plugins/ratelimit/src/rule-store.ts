/**
 * @module rule-store
 * Rate-limit rules in the database. Only the admin API, the seed and cache (re)loads touch
 * it; requests read the in-memory RuleCache.
 */
import type { Kysely } from 'kysely';
import { newUlid } from '@scaigrid/kernel';
import { DEFAULT_SUBJECT, type LimitRule, type LimitScope, type LimitValues } from './limit-rule.js';

interface RuleRow {
  id: string;
  scope: string;
  subject_key: string;
  requests_per_minute: number | string | null;
  requests_per_window: number | string | null;
  tokens_per_minute: number | string | null;
  tokens_per_window: number | string | null;
  window_seconds: number | string | null;
  created_at: number | string;
  updated_at: number | string;
}

// mysql2 returns BIGINT as a string; the values here fit a double exactly.
const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function fromRow(row: RuleRow): LimitRule {
  return {
    id: row.id,
    scope: row.scope as LimitScope,
    subjectId: row.subject_key === DEFAULT_SUBJECT ? null : row.subject_key,
    requestsPerMinute: num(row.requests_per_minute),
    requestsPerWindow: num(row.requests_per_window),
    tokensPerMinute: num(row.tokens_per_minute),
    tokensPerWindow: num(row.tokens_per_window),
    windowSeconds: num(row.window_seconds),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

const valueColumns = (v: LimitValues) => ({
  requests_per_minute: v.requestsPerMinute,
  requests_per_window: v.requestsPerWindow,
  tokens_per_minute: v.tokensPerMinute,
  tokens_per_window: v.tokensPerWindow,
  window_seconds: v.windowSeconds,
});

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === 'ER_DUP_ENTRY' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed|Duplicate entry/i.test(e?.message ?? '');
}

export class RuleStore {
  constructor(
    private readonly db: Kysely<any>,
    private readonly tableName: string,
  ) {}

  async all(): Promise<LimitRule[]> {
    const rows = (await this.db.selectFrom(this.tableName).selectAll().orderBy('id').execute()) as RuleRow[];
    return rows.map(fromRow);
  }

  async get(id: string): Promise<LimitRule | undefined> {
    const row = (await this.db.selectFrom(this.tableName).selectAll().where('id', '=', id).executeTakeFirst()) as RuleRow | undefined;
    return row && fromRow(row);
  }

  async find(scope: LimitScope, subjectId: string | null): Promise<LimitRule | undefined> {
    const row = (await this.db
      .selectFrom(this.tableName)
      .selectAll()
      .where('scope', '=', scope)
      .where('subject_key', '=', subjectId ?? DEFAULT_SUBJECT)
      .executeTakeFirst()) as RuleRow | undefined;
    return row && fromRow(row);
  }

  /** Inserts a rule; a rule for the same scope and subject fails with a unique violation. */
  async create(scope: LimitScope, subjectId: string | null, values: LimitValues): Promise<LimitRule> {
    const now = Date.now();
    const id = newUlid();
    await this.db
      .insertInto(this.tableName)
      .values({ id, scope, subject_key: subjectId ?? DEFAULT_SUBJECT, ...valueColumns(values), created_at: now, updated_at: now })
      .execute();
    return { id, scope, subjectId, ...values, createdAt: now, updatedAt: now };
  }

  async update(id: string, values: LimitValues): Promise<void> {
    await this.db.updateTable(this.tableName).set({ ...valueColumns(values), updated_at: Date.now() }).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom(this.tableName).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
