/**
 * @module model-admin
 * Every change to models goes through here — admin API and config seed alike: validate
 * provider ids, write (a no-op when nothing differs), reload this instance's catalog before
 * answering (so the writer reads its own write), then broadcast `routing.changed` so every
 * other instance reloads too.
 */
import { GatewayError, type EventBus, type ModuleContext, newUlid, parseInput } from '@scaigrid/kernel';
import type { ModelCatalog } from './model-catalog.js';
import { desiredBackend, desiredModel, modelView, type BackendView, type DesiredModel, type ModelView, type StoredModel } from './model-record.js';
import { backendInputSchema, type ModelInput, type ModelPatch } from './model-schema.js';
import { isEmptyPlan, planWrite, type ModelStore } from './model-store.js';
import type { ProviderDirectory } from './provider-directory.js';
import type { BackendInit, RoutingAdmin } from './routing-admin.js';

export const ROUTING_CHANGED_TOPIC = 'routing.changed';

export interface RoutingChangedEvent {
  /** Instance that made the change (it has already reloaded). */
  origin: string;
  slug: string;
  action: 'created' | 'updated' | 'deleted';
}

export interface ModelAdminDeps {
  store: ModelStore;
  catalog: ModelCatalog;
  events: EventBus;
  instanceId: string;
  providers: ProviderDirectory | undefined;
  /** A tenant's id from its id or slug (auth's tenants), undefined when there is none. */
  tenantId: (idOrSlug: string) => Promise<string | undefined>;
  log: ModuleContext['log'];
}

export class ModelAdmin implements RoutingAdmin {
  constructor(private readonly deps: ModelAdminDeps) {}

  async create(input: ModelInput): Promise<StoredModel> {
    if (await this.deps.store.loadBySlug(input.slug)) {
      throw new GatewayError('CONFLICT', `Model '${input.slug}' already exists; update it with PATCH /v1/admin/models/${input.slug}.`);
    }
    const desired = desiredModel(input);
    this.checkProviders(desired);
    desired.visibility = await this.tenantIds(desired.visibility, 'visibility');
    await this.deps.store.save(undefined, desired);
    await this.changed(input.slug, 'created');
    return this.current(input.slug);
  }

  async update(slug: string, patch: ModelPatch): Promise<StoredModel> {
    const existing = await this.deps.store.loadBySlug(slug);
    if (!existing) throw new GatewayError('NOT_FOUND', `Model '${slug}' not found.`);
    const desired: DesiredModel = {
      slug,
      kind: patch.kind ?? existing.kind,
      policy: patch.policy ?? existing.policy,
      currency: patch.currency ?? existing.currency,
      metadata: patch.metadata ?? existing.metadata,
      visibility: patch.visibility ? await this.tenantIds(patch.visibility, 'visibility') : existing.visibility,
      backends: patch.backends ? patch.backends.map(desiredBackend) : existing.backends,
    };
    if (patch.backends) this.checkBackendIds(existing, desired);
    this.checkProviders(desired);
    const wrote = await this.deps.store.save(existing, desired);
    if (!wrote) return existing;
    await this.changed(slug, 'updated');
    return this.current(slug);
  }

  async delete(slug: string): Promise<void> {
    const existing = await this.deps.store.loadBySlug(slug);
    if (!existing) throw new GatewayError('NOT_FOUND', `Model '${slug}' not found.`);
    await this.deps.store.delete(existing);
    await this.changed(slug, 'deleted');
  }

  models(): ModelView[] {
    return this.deps.catalog.all().map(modelView);
  }

  /** Always inserts (never matched to a backend of the same provider and upstream model, unlike update). */
  async addBackend(slug: string, backend: BackendInit): Promise<BackendView> {
    const existing = await this.deps.store.loadBySlug(slug);
    if (!existing) throw new GatewayError('NOT_FOUND', `Model '${slug}' not found.`);
    const added = { ...desiredBackend(parseInput(backendInputSchema.omit({ id: true }), backend, 'backend')), id: newUlid() };
    const desired: DesiredModel = { ...existing, backends: [...existing.backends, added] };
    this.checkProviders(desired);
    await this.deps.store.save(existing, desired, { modelChanged: true, inserts: [added], updates: [], deletes: [] });
    await this.changed(slug, 'updated');
    return modelView({ ...existing, backends: [added] }).backends[0];
  }

  async removeBackend(slug: string, backendId: string): Promise<void> {
    const existing = await this.deps.store.loadBySlug(slug);
    if (!existing?.backends.some((b) => b.id === backendId)) throw new GatewayError('NOT_FOUND', `Backend '${backendId}' of model '${slug}' not found.`);
    const desired: DesiredModel = { ...existing, backends: existing.backends.filter((b) => b.id !== backendId) };
    await this.deps.store.save(existing, desired, { modelChanged: true, inserts: [], updates: [], deletes: [backendId] });
    await this.changed(slug, 'updated');
  }

  /** Applies the config seed: creates or updates each model by slug; equal models are not touched. */
  async seed(inputs: readonly ModelInput[]): Promise<{ written: string[] }> {
    const written: string[] = [];
    for (const [index, input] of inputs.entries()) {
      const desired = desiredModel(input);
      this.checkProviders(desired, `routing.models.${index}`);
      desired.visibility = await this.tenantIds(desired.visibility, `routing.models.${index}.visibility`);
      if (await this.seedOne(desired)) written.push(input.slug);
    }
    // Reloaded even when this instance wrote nothing: an instance starting at the same time may
    // have written the rows after this one's first load, and its change event may not be here yet.
    if (inputs.length > 0) await this.deps.catalog.reload();
    if (written.length > 0) {
      this.deps.log.info({ models: written }, 'Seeded models from config');
      await this.publish({ origin: this.deps.instanceId, slug: written.join(','), action: 'updated' });
    }
    return { written };
  }

  /**
   * Writes one seeded model unless it is already as desired. Instances starting together may
   * race to insert the same slug: the loser re-reads and plans again once.
   */
  private async seedOne(desired: DesiredModel): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const existing = await this.deps.store.loadBySlug(desired.slug);
      const plan = planWrite(existing, desired);
      if (isEmptyPlan(plan)) return false;
      try {
        return await this.deps.store.save(existing, desired, plan);
      } catch (err) {
        if (attempt > 0) throw err;
      }
    }
  }

  /** Visibility entries may name tenants by id or slug; stored as ids, since callers carry ids. */
  private async tenantIds(refs: readonly string[], field: string): Promise<string[]> {
    const ids: string[] = [];
    for (const [i, ref] of refs.entries()) {
      const id = await this.deps.tenantId(ref);
      if (id === undefined) {
        throw new GatewayError('VALIDATION_ERROR', `Invalid model: '${field}.${i}': tenant '${ref}' not found; create it under /v1/admin/tenants first.`);
      }
      if (!ids.includes(id)) ids.push(id);
    }
    return ids;
  }

  private checkBackendIds(existing: StoredModel, desired: DesiredModel): void {
    const ids = new Set(existing.backends.map((b) => b.id));
    desired.backends.forEach((b, i) => {
      if (b.id !== undefined && !ids.has(b.id)) {
        throw new GatewayError('VALIDATION_ERROR', `Invalid model: 'backends.${i}.id': backend '${b.id}' does not belong to model '${existing.slug}'; omit the id to add a backend.`);
      }
    });
  }

  private checkProviders(desired: DesiredModel, prefix = 'backends'): void {
    const providers = this.deps.providers;
    if (!providers) return;
    const known = providers.providerIds();
    desired.backends.forEach((b, i) => {
      if (!known.includes(b.providerId)) {
        throw new GatewayError(
          'VALIDATION_ERROR',
          `Invalid model '${desired.slug}': '${prefix}.${i}.providerId': unknown provider '${b.providerId}' (known: ${known.join(', ') || 'none'}). Create it under /v1/admin/providers or in the dispatch config first.`,
        );
      }
    });
  }

  private async changed(slug: string, action: RoutingChangedEvent['action']): Promise<void> {
    await this.deps.catalog.reload();
    await this.publish({ origin: this.deps.instanceId, slug, action });
  }

  private async current(slug: string): Promise<StoredModel> {
    // The catalog was just reloaded; a concurrent delete elsewhere is the only way to miss it.
    const model = this.deps.catalog.get(slug) ?? (await this.deps.store.loadBySlug(slug));
    if (!model) throw new GatewayError('NOT_FOUND', `Model '${slug}' was deleted concurrently.`);
    return model;
  }

  private async publish(event: RoutingChangedEvent): Promise<void> {
    // The write is done; a bus hiccup must not turn it into an error, only delay other instances.
    await this.deps.events.publish(ROUTING_CHANGED_TOPIC, event).catch((err: unknown) => {
      this.deps.log.error({ err, slug: event.slug }, 'Could not broadcast routing.changed; other instances reload on restart');
    });
  }
}
