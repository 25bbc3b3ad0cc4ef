/**
 * @module model-store
 * Database access for models and backends. Only the catalog's reload and admin/seed writes
 * come here — never a request. A write computes a plan against the current row set first, so
 * that writing what is already stored touches nothing (the seed's idempotence rests on it)
 * and backend ids stay stable across edits (accounting refers to them).
 */
import type { Kysely } from 'kysely';
import { newUlid } from '@scaigrid/kernel';
import type { DesiredBackend, DesiredModel, StoredBackend, StoredModel } from './model-record.js';

export interface WritePlan {
  modelChanged: boolean;
  inserts: StoredBackend[];
  updates: StoredBackend[];
  deletes: string[];
}

export function isEmptyPlan(plan: WritePlan): boolean {
  return !plan.modelChanged && plan.inserts.length === 0 && plan.updates.length === 0 && plan.deletes.length === 0;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function sameBackend(a: StoredBackend, b: DesiredBackend): boolean {
  return (
    a.providerId === b.providerId &&
    a.upstreamModel === b.upstreamModel &&
    a.priority === b.priority &&
    a.weight === b.weight &&
    a.inputMicros === b.inputMicros &&
    a.outputMicros === b.outputMicros &&
    (a.contextWindow ?? null) === (b.contextWindow ?? null) &&
    same(a.options, b.options)
  );
}

/**
 * Matches desired backends to stored ones: by id when given, else by (provider, upstream
 * model); unmatched stored backends are deleted, unmatched desired ones inserted.
 */
export function planWrite(existing: StoredModel | undefined, desired: DesiredModel): WritePlan {
  const remaining = new Map((existing?.backends ?? []).map((b) => [b.id, b]));
  const plan: WritePlan = { modelChanged: !existing, inserts: [], updates: [], deletes: [] };
  if (existing) {
    plan.modelChanged =
      existing.kind !== desired.kind ||
      existing.policy !== desired.policy ||
      existing.currency !== desired.currency ||
      !same(existing.metadata, desired.metadata) ||
      !same(existing.visibility, desired.visibility);
  }
  for (const want of desired.backends) {
    let match = want.id ? remaining.get(want.id) : undefined;
    match ??= [...remaining.values()].find((b) => b.providerId === want.providerId && b.upstreamModel === want.upstreamModel);
    if (match) {
      remaining.delete(match.id);
      if (!sameBackend(match, want)) plan.updates.push({ ...want, id: match.id });
    } else {
      plan.inserts.push({ ...want, id: newUlid() });
    }
  }
  plan.deletes = [...remaining.keys()];
  return plan;
}

export class ModelStore {
  constructor(
    private readonly db: Kysely<any>,
    private readonly table: (name: string) => string,
  ) {}

  /** One model read fresh (writes plan against the database, not a possibly stale cache). */
  async loadBySlug(slug: string): Promise<StoredModel | undefined> {
    return (await this.loadAll(slug))[0];
  }

  async loadAll(slug?: string): Promise<StoredModel[]> {
    let modelQuery = this.db.selectFrom(this.table('models')).selectAll().orderBy('slug');
    if (slug !== undefined) modelQuery = modelQuery.where('slug', '=', slug);
    const models = await modelQuery.execute();
    if (models.length === 0) return [];
    let backendQuery = this.db.selectFrom(this.table('backends')).selectAll().orderBy('id');
    if (slug !== undefined) backendQuery = backendQuery.where('model_id', '=', models[0].id);
    const backends = await backendQuery.execute();
    const byModel = new Map<string, StoredBackend[]>();
    for (const row of backends) {
      const list = byModel.get(row.model_id) ?? [];
      list.push({
        id: row.id,
        providerId: row.provider_id,
        upstreamModel: row.upstream_model,
        priority: Number(row.priority),
        weight: Number(row.weight),
        inputMicros: Number(row.input_price_micros),
        outputMicros: Number(row.output_price_micros),
        contextWindow: row.context_window === null ? undefined : Number(row.context_window),
        options: JSON.parse(row.options),
      });
      byModel.set(row.model_id, list);
    }
    return models.map((row) => ({
      id: row.id,
      slug: row.slug,
      kind: row.kind,
      policy: row.policy,
      currency: row.currency,
      metadata: JSON.parse(row.metadata),
      visibility: JSON.parse(row.visibility),
      backends: byModel.get(row.id) ?? [],
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    }));
  }

  /** Applies a plan in one transaction; returns false when there was nothing to write. */
  async save(existing: StoredModel | undefined, desired: DesiredModel, plan: WritePlan = planWrite(existing, desired)): Promise<boolean> {
    if (isEmptyPlan(plan)) return false;
    const now = Date.now();
    const modelId = existing?.id ?? newUlid();
    const models = this.table('models');
    const backends = this.table('backends');
    await this.db.transaction().execute(async (trx) => {
      const fields = {
        kind: desired.kind,
        policy: desired.policy,
        currency: desired.currency,
        metadata: JSON.stringify(desired.metadata),
        visibility: JSON.stringify(desired.visibility),
        updated_at: now,
      };
      if (existing) await trx.updateTable(models).set(fields).where('id', '=', modelId).execute();
      else await trx.insertInto(models).values({ id: modelId, slug: desired.slug, created_at: now, ...fields }).execute();
      if (plan.deletes.length > 0) await trx.deleteFrom(backends).where('id', 'in', plan.deletes).execute();
      for (const b of plan.updates) {
        await trx.updateTable(backends).set(backendRow(b)).where('id', '=', b.id).execute();
      }
      if (plan.inserts.length > 0) {
        await trx
          .insertInto(backends)
          .values(plan.inserts.map((b) => ({ id: b.id, model_id: modelId, created_at: now, ...backendRow(b) })))
          .execute();
      }
    });
    return true;
  }

  async delete(model: StoredModel): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom(this.table('backends')).where('model_id', '=', model.id).execute();
      await trx.deleteFrom(this.table('models')).where('id', '=', model.id).execute();
    });
  }
}

function backendRow(b: StoredBackend) {
  return {
    provider_id: b.providerId,
    upstream_model: b.upstreamModel,
    priority: b.priority,
    weight: b.weight,
    input_price_micros: b.inputMicros,
    output_price_micros: b.outputMicros,
    context_window: b.contextWindow ?? null,
    options: JSON.stringify(b.options),
  };
}
