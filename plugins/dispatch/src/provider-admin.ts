/**
 * @module provider-admin
 * Every change to provider instances — admin API and config seed — goes through here:
 * check the kind against the registered dispatchers, write (nothing when unchanged), reload
 * this instance, then broadcast `dispatch.providers-changed` so the others reload too.
 */
import { GatewayError, type EventBus, type ModuleContext } from '@scaigrid/kernel';
import type { DispatcherRegistry } from './dispatch-service.js';
import type { ProviderCatalog } from './provider-catalog.js';
import type { ProviderInput, ProviderPatch } from './provider-schema.js';
import type { DesiredProvider, ProviderStore, StoredProvider } from './provider-store.js';

export const PROVIDERS_CHANGED_TOPIC = 'dispatch.providers-changed';

export interface ProvidersChangedEvent {
  origin: string;
  ids: string[];
}

export interface ProviderAdminDeps {
  store: ProviderStore;
  catalog: ProviderCatalog;
  registry: DispatcherRegistry;
  events: EventBus;
  instanceId: string;
  log: ModuleContext['log'];
}

function desired(input: ProviderInput): DesiredProvider {
  return { id: input.id, kind: input.kind, baseUrl: input.baseUrl, apiKeyEnv: input.apiKeyEnv, options: input.options, timeoutMs: input.timeoutMs };
}

export class ProviderAdmin {
  constructor(private readonly deps: ProviderAdminDeps) {}

  async create(input: ProviderInput): Promise<StoredProvider> {
    this.checkKind(input.kind, 'kind');
    if (await this.deps.store.load(input.id)) {
      throw new GatewayError('CONFLICT', `Provider '${input.id}' already exists; update it with PATCH /v1/admin/providers/${input.id}.`);
    }
    await this.deps.store.save(undefined, desired(input));
    await this.changed([input.id]);
    return this.current(input.id);
  }

  async update(id: string, patch: ProviderPatch): Promise<StoredProvider> {
    const existing = await this.deps.store.load(id);
    if (!existing) throw new GatewayError('NOT_FOUND', `Provider '${id}' not found.`);
    if (patch.kind !== undefined) this.checkKind(patch.kind, 'kind');
    const next: DesiredProvider = {
      id,
      kind: patch.kind ?? existing.kind,
      baseUrl: patch.baseUrl ?? existing.baseUrl,
      apiKeyEnv: patch.apiKeyEnv === null ? undefined : (patch.apiKeyEnv ?? existing.apiKeyEnv),
      options: patch.options ?? existing.options,
      timeoutMs: patch.timeoutMs === null ? undefined : (patch.timeoutMs ?? existing.timeoutMs),
    };
    if (!(await this.deps.store.save(existing, next))) return existing;
    await this.changed([id]);
    return this.current(id);
  }

  /** Models still naming this provider fail over past it (dispatch skips unknown providers). */
  async delete(id: string): Promise<void> {
    if (!(await this.deps.store.load(id))) throw new GatewayError('NOT_FOUND', `Provider '${id}' not found.`);
    await this.deps.store.delete(id);
    await this.changed([id]);
  }

  async seed(inputs: readonly ProviderInput[]): Promise<{ written: string[] }> {
    inputs.forEach((input, i) => this.checkKind(input.kind, `dispatch.providers.${i}.kind`));
    const written: string[] = [];
    for (const input of inputs) {
      // Instances starting together may race to insert the same id: the loser re-reads once.
      const save = async () => this.deps.store.save(await this.deps.store.load(input.id), desired(input));
      if (await save().catch(save)) written.push(input.id);
    }
    if (written.length > 0) {
      this.deps.log.info({ providers: written }, 'Seeded providers from config');
      await this.changed(written);
    } else if (inputs.length > 0) {
      // Nothing to write, but an instance starting at the same time may have written the rows
      // after this one's first load, and its change event may not be here yet.
      await this.deps.catalog.reload();
    }
    return { written };
  }

  private checkKind(kind: string, field: string): void {
    const kinds = this.deps.registry.kinds();
    if (!kinds.includes(kind)) {
      throw new GatewayError(
        'VALIDATION_ERROR',
        `Invalid provider: '${field}': unknown kind '${kind}' (known: ${kinds.join(', ') || 'none'}). Load the dispatcher package for it (e.g. @scaigrid/plugin-dispatch-${kind}).`,
      );
    }
  }

  private async changed(ids: string[]): Promise<void> {
    await this.deps.catalog.reload();
    await this.deps.events.publish<ProvidersChangedEvent>(PROVIDERS_CHANGED_TOPIC, { origin: this.deps.instanceId, ids }).catch((err: unknown) => {
      this.deps.log.error({ err }, 'Could not broadcast dispatch.providers-changed; other instances reload on restart');
    });
  }

  private current(id: string): StoredProvider {
    const stored = this.deps.catalog.stored(id);
    if (!stored) throw new GatewayError('NOT_FOUND', `Provider '${id}' was deleted concurrently.`);
    return stored;
  }
}
