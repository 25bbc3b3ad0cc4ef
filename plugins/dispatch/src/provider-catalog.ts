/**
 * @module provider-catalog
 * Provider instances in memory, credentials resolved from the environment at load time.
 * Serves dispatch (`get`) and routing's provider-id check (`providerIds`, as
 * `dispatch.providers`), and renders the admin view, which names the env variable and says
 * whether it is set but never shows the key.
 */
import type { ProviderDirectory } from '@scaigrid/plugin-routing';
import type { ProviderInstance } from './dispatcher.js';
import type { ProviderLookup } from './dispatch-service.js';
import type { ProviderStore, StoredProvider } from './provider-store.js';

export interface ProviderView {
  id: string;
  kind: string;
  baseUrl: string;
  apiKeyEnv: string | null;
  /** Whether the named environment variable is set on this instance. */
  hasApiKey: boolean;
  options: Record<string, unknown>;
  timeoutMs: number;
  createdAt: number;
  updatedAt: number;
}

interface Cached {
  stored: StoredProvider;
  instance: ProviderInstance;
}

export class ProviderCatalog implements ProviderLookup, ProviderDirectory {
  private byId = new Map<string, Cached>();
  private loading: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ProviderStore,
    private readonly defaultTimeoutMs: number,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Reloads from the database; reloads run one after another so the last one wins. */
  reload(): Promise<void> {
    this.loading = this.loading.catch(() => undefined).then(() => this.load());
    return this.loading;
  }

  private async load(): Promise<void> {
    const next = new Map<string, Cached>();
    for (const stored of await this.store.loadAll()) next.set(stored.id, { stored, instance: this.instance(stored) });
    this.byId = next;
  }

  private instance(stored: StoredProvider): ProviderInstance {
    const apiKey = stored.apiKeyEnv ? this.env[stored.apiKeyEnv] || undefined : undefined;
    return Object.freeze({
      id: stored.id,
      kind: stored.kind,
      baseUrl: stored.baseUrl,
      apiKey,
      options: Object.freeze({ ...stored.options }),
      timeoutMs: stored.timeoutMs ?? this.defaultTimeoutMs,
    });
  }

  get(id: string): ProviderInstance | undefined {
    return this.byId.get(id)?.instance;
  }

  providerIds(): string[] {
    return [...this.byId.keys()].sort();
  }

  stored(id: string): StoredProvider | undefined {
    return this.byId.get(id)?.stored;
  }

  all(): StoredProvider[] {
    return [...this.byId.values()].map((c) => c.stored);
  }

  view(stored: StoredProvider): ProviderView {
    return {
      id: stored.id,
      kind: stored.kind,
      baseUrl: stored.baseUrl,
      apiKeyEnv: stored.apiKeyEnv ?? null,
      hasApiKey: Boolean(stored.apiKeyEnv && this.env[stored.apiKeyEnv]),
      options: stored.options,
      timeoutMs: stored.timeoutMs ?? this.defaultTimeoutMs,
      createdAt: stored.createdAt,
      updatedAt: stored.updatedAt,
    };
  }
}
