/**
 * @module model-catalog
 * The in-memory catalog behind `routing.service`: every model and backend, loaded at start
 * and reloaded whole when any instance changes one (`routing.changed` broadcast). `resolve`
 * is synchronous on purpose — it cannot touch the database; the hot path only reads the
 * frozen snapshot built by the last reload.
 */
import { GatewayError } from '@scaigrid/kernel';
import type { Caller } from '@scaigrid/plugin-auth';
import { orderCandidates, type RandomSource } from './candidate-order.js';
import type { StoredModel } from './model-record.js';
import type { ModelStore } from './model-store.js';
import type { Backend, ModelInfo, ModelRoute, RoutingService } from './routing-service.js';

/** Lets tenant and partner admins read their tenant's models in the admin API. */
export const MANAGE_PERMISSION = 'models:manage';
/** Auth's all-powerful permission: sees and manages every model, whatever its visibility. */
export const ADMIN_PERMISSION = 'admin:access';

interface CachedModel {
  stored: StoredModel;
  backends: readonly Backend[];
}

function toBackend(model: StoredModel, index: number): Backend {
  const b = model.backends[index];
  return Object.freeze({
    id: b.id,
    providerId: b.providerId,
    upstreamModel: b.upstreamModel,
    priority: b.priority,
    weight: b.weight,
    inputPricePerMillion: b.inputMicros / 1_000_000,
    outputPricePerMillion: b.outputMicros / 1_000_000,
    inputMicrosPerMillion: b.inputMicros,
    outputMicrosPerMillion: b.outputMicros,
    contextWindow: b.contextWindow,
    options: Object.freeze({ ...b.options }),
  });
}

/** Whether a caller may see a model: public models, its tenant's models, or every model for admins. */
export function isVisibleTo(model: StoredModel, caller: Caller | undefined): boolean {
  if (model.visibility.length === 0) return true;
  if (!caller) return false;
  if (caller.permissions.has(ADMIN_PERMISSION)) return true;
  return caller.tenantId !== undefined && model.visibility.includes(caller.tenantId);
}

export class ModelCatalog implements RoutingService {
  private bySlug = new Map<string, CachedModel>();
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly store: ModelStore,
    private readonly random: RandomSource = Math.random,
  ) {}

  /**
   * Reloads everything from the database. Calls made while a reload runs share one follow-up
   * reload, so whoever awaits sees at least every write that finished before the call.
   */
  reload(): Promise<void> {
    if (this.queued) return this.queued;
    if (this.running) {
      this.queued = this.running
        .catch(() => undefined)
        .then(() => {
          this.queued = undefined;
          return this.reload();
        });
      return this.queued;
    }
    this.running = this.load().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async load(): Promise<void> {
    const models = await this.store.loadAll();
    const next = new Map<string, CachedModel>();
    for (const stored of models) {
      next.set(stored.slug, { stored, backends: Object.freeze(stored.backends.map((_, i) => toBackend(stored, i))) });
    }
    this.bySlug = next;
  }

  resolve(slug: string, caller: Caller | undefined): ModelRoute {
    const model = this.bySlug.get(slug);
    if (!model || !isVisibleTo(model.stored, caller)) {
      throw new GatewayError(
        'MODEL_NOT_FOUND',
        `Model '${slug}' does not exist or is not available to you; list the available models with GET /oai/v1/models.`,
      );
    }
    const { stored } = model;
    return {
      slug: stored.slug,
      policy: stored.policy,
      currency: stored.currency,
      kind: stored.kind,
      metadata: stored.metadata,
      backends: orderCandidates(stored.policy, model.backends, this.random),
    };
  }

  listModels(caller: Caller | undefined): ModelInfo[] {
    return this.all()
      .filter((m) => isVisibleTo(m, caller))
      .map((m) => ({ slug: m.slug, kind: m.kind, createdAt: m.createdAt }));
  }

  /** Stored form of one model (admin API), from the cache. */
  get(slug: string): StoredModel | undefined {
    return this.bySlug.get(slug)?.stored;
  }

  all(): StoredModel[] {
    return [...this.bySlug.values()].map((m) => m.stored);
  }
}
