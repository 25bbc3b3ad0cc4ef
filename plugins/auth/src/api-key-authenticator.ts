/**
 * @module api-key-authenticator
 * Resolves an `sgk_` key to a Caller. The request path hashes the key and reads memory only:
 * a bounded cache of resolved keys (revoked and expired ones included, so they cost no query
 * either) and a separately bounded cache of unknown hashes. A miss reads the database once,
 * however many requests wait for it. Evictions (local or from the event bus) bump a
 * generation so that a read that raced an eviction is not cached.
 *
 * A key in use is re-read before its entry lapses: a request in the last REFRESH_AHEAD_SHARE of
 * the entry's time to live is answered from memory and starts the read on the side. Without
 * that, the first request after each lapse (once a minute per key by default) waited for the
 * database on the request path. What the cache may miss stays bounded as before: an entry is
 * never served past its time to live, so a change that reached no instance by the event bus
 * applies within it.
 */
import type { ModuleContext } from '@scaigrid/kernel';
import type { Caller } from './caller.js';
import { hashApiKey, hashesEqual } from './api-key-secret.js';
import type { AuthConfig } from './config.js';
import { narrowByScopes } from './permissions.js';
import type { RoleRegistry } from './roles.js';
import type { ApiKeyStore, KeyForAuth } from './store/api-key-store.js';
import { TtlCache } from './ttl-cache.js';

type Logger = ModuleContext['log'];

interface ResolvedKey {
  hash: string;
  keyId: string;
  userId: string | null;
  tenantId: string | null;
  partnerId: string | null;
  expiresAt: number | null;
  revokedAt: number | null;
  caller: Caller;
}

/** The last share of an entry's time to live in which a request also re-reads the key on the side. */
export const REFRESH_AHEAD_SHARE = 0.1;

export interface ApiKeyAuthenticatorOptions {
  store: ApiKeyStore;
  roles: RoleRegistry;
  cache: AuthConfig['keyCache'];
  log: Logger;
  /** Told about each successful use (for the batched last_used_at). */
  onUse?(keyId: string, at: number): void;
  /** The clock of the caches (tests). */
  now?: () => number;
}

export class ApiKeyAuthenticator {
  private readonly known: TtlCache<string, ResolvedKey>;
  private readonly unknown: TtlCache<string, true>;
  private readonly loading = new Map<string, Promise<ResolvedKey | undefined>>();
  private generation = 0;
  /** Database reads made to fill the cache; tests use it to prove the request path does none. */
  loads = 0;

  constructor(private readonly options: ApiKeyAuthenticatorOptions) {
    const { cache, now = Date.now } = options;
    this.known = new TtlCache(cache.maxEntries, cache.ttlSeconds * 1000, now);
    this.unknown = new TtlCache(cache.negativeMaxEntries, cache.negativeTtlSeconds * 1000, now);
    this.refreshAheadMs = cache.ttlSeconds * 1000 * REFRESH_AHEAD_SHARE;
  }

  private readonly refreshAheadMs: number;

  /**
   * The caller for a key, or undefined when it is unknown, revoked or expired. Answered at once
   * (not as a promise) when the key is in memory, as on nearly every request: a promise there
   * cost the request path an await on the way in and one on the way out.
   */
  authenticate(key: string): Caller | undefined | Promise<Caller | undefined> {
    const hash = hashApiKey(key);
    const known = this.known.get(hash);
    if (known) {
      if (this.known.timeLeft(hash)! <= this.refreshAheadMs) this.refreshAhead(hash);
      return this.admit(known);
    }
    if (this.unknown.get(hash)) return undefined;
    return this.load(hash).then((loaded) => loaded && this.admit(loaded));
  }

  private admit(resolved: ResolvedKey): Caller | undefined {
    const now = Date.now();
    if (resolved.revokedAt !== null || (resolved.expiresAt !== null && resolved.expiresAt <= now)) return undefined;
    this.options.onUse?.(resolved.keyId, now);
    return resolved.caller;
  }

  evictKey(keyId: string): void {
    this.generation++;
    this.known.deleteWhere((k) => k.keyId === keyId);
  }

  evictOwner(owner: { userId?: string; tenantId?: string; partnerId?: string }): void {
    this.generation++;
    this.known.deleteWhere(
      (k) =>
        (owner.userId !== undefined && k.userId === owner.userId) ||
        (owner.tenantId !== undefined && k.tenantId === owner.tenantId) ||
        (owner.partnerId !== undefined && k.partnerId === owner.partnerId),
    );
  }

  forgetUnknown(): void {
    this.generation++;
    this.unknown.clear();
  }

  clear(): void {
    this.generation++;
    this.known.clear();
    this.unknown.clear();
  }

  /** Re-reads a cached key on the side; a failed read leaves the entry to lapse at its time. */
  private refreshAhead(hash: string): void {
    if (this.loading.has(hash)) return;
    this.load(hash).catch((err: unknown) => this.options.log.warn({ err }, 'Re-reading a cached API key failed; it is served until its entry lapses'));
  }

  private load(hash: string): Promise<ResolvedKey | undefined> {
    let pending = this.loading.get(hash);
    if (!pending) {
      pending = this.read(hash).finally(() => this.loading.delete(hash));
      this.loading.set(hash, pending);
    }
    return pending;
  }

  private async read(hash: string): Promise<ResolvedKey | undefined> {
    const generation = this.generation;
    this.loads++;
    const found = await this.options.store.findForAuth(hash);
    // The index lookup found the row; confirm the hash in constant time before trusting it.
    const resolved = found && hashesEqual(found.hash, hash) ? this.resolve(found) : undefined;
    if (generation === this.generation) {
      if (resolved) this.known.set(hash, resolved);
      else {
        // Gone since it was cached (a re-read ahead of the entry's end finds that).
        this.known.delete(hash);
        this.unknown.set(hash, true);
      }
    }
    return resolved;
  }

  private resolve({ key, hash, userRoles, tenantPartnerId }: KeyForAuth): ResolvedKey {
    const roles = key.roles.length > 0 ? key.roles : userRoles;
    const unknownRoles = roles.filter((r) => !this.options.roles.has(r));
    if (unknownRoles.length > 0) this.options.log.warn({ keyId: key.id, roles: unknownRoles }, 'API key holds roles that are not defined; they grant nothing');
    const partnerId = key.tenantId ? tenantPartnerId : key.partnerId;
    const caller: Caller = Object.freeze({
      kind: 'api_key' as const,
      keyId: key.id,
      name: key.name,
      userId: key.userId ?? undefined,
      tenantId: key.tenantId ?? undefined,
      partnerId: partnerId ?? undefined,
      roles: Object.freeze([...roles]),
      permissions: narrowByScopes(this.options.roles.permissionsFor(roles), key.scopes),
    });
    return { hash, keyId: key.id, userId: key.userId, tenantId: key.tenantId, partnerId, expiresAt: key.expiresAt, revokedAt: key.revokedAt, caller };
  }
}
