/**
 * @module provider-store
 * Database access for provider instances: read at start and on `dispatch.providers-changed`,
 * written by the admin API and the seed. Never read per request.
 */
import type { Kysely } from 'kysely';

export interface StoredProvider {
  id: string;
  kind: string;
  baseUrl: string;
  apiKeyEnv?: string;
  options: Record<string, unknown>;
  timeoutMs?: number;
  createdAt: number;
  updatedAt: number;
}

export type DesiredProvider = Omit<StoredProvider, 'createdAt' | 'updatedAt'>;

export function sameProvider(a: StoredProvider, b: DesiredProvider): boolean {
  return (
    a.kind === b.kind &&
    a.baseUrl === b.baseUrl &&
    (a.apiKeyEnv ?? null) === (b.apiKeyEnv ?? null) &&
    (a.timeoutMs ?? null) === (b.timeoutMs ?? null) &&
    JSON.stringify(a.options) === JSON.stringify(b.options)
  );
}

export class ProviderStore {
  constructor(
    private readonly db: Kysely<any>,
    private readonly tableName: string,
  ) {}

  async loadAll(id?: string): Promise<StoredProvider[]> {
    let query = this.db.selectFrom(this.tableName).selectAll().orderBy('id');
    if (id !== undefined) query = query.where('id', '=', id);
    const rows = await query.execute();
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind,
      baseUrl: row.base_url,
      apiKeyEnv: row.api_key_env ?? undefined,
      options: JSON.parse(row.options),
      timeoutMs: row.timeout_ms === null ? undefined : Number(row.timeout_ms),
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    }));
  }

  async load(id: string): Promise<StoredProvider | undefined> {
    return (await this.loadAll(id))[0];
  }

  /** Inserts or updates; false when the stored row already matches. */
  async save(existing: StoredProvider | undefined, desired: DesiredProvider): Promise<boolean> {
    if (existing && sameProvider(existing, desired)) return false;
    const now = Date.now();
    const fields = {
      kind: desired.kind,
      base_url: desired.baseUrl,
      api_key_env: desired.apiKeyEnv ?? null,
      options: JSON.stringify(desired.options),
      timeout_ms: desired.timeoutMs ?? null,
      updated_at: now,
    };
    if (existing) await this.db.updateTable(this.tableName).set(fields).where('id', '=', desired.id).execute();
    else await this.db.insertInto(this.tableName).values({ id: desired.id, created_at: now, ...fields }).execute();
    return true;
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom(this.tableName).where('id', '=', id).execute();
  }
}
