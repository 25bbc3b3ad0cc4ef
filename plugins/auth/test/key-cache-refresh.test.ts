/**
 * A key in use is re-read before its cache entry lapses, on the side, so no request waits for
 * the database once the key is cached; the entry is still never served past its time to live.
 */
import { describe, expect, it } from 'vitest';
import { ApiKeyAuthenticator, REFRESH_AHEAD_SHARE } from '../src/api-key-authenticator.js';
import { generateApiKey, hashApiKey } from '../src/api-key-secret.js';
import { RoleRegistry } from '../src/roles.js';
import type { ApiKeyStore, KeyForAuth } from '../src/store/api-key-store.js';

const TTL_SECONDS = 60;
const TTL_MS = TTL_SECONDS * 1000;

/** A store whose reads wait until the test answers them, so "did the request wait?" can be seen. */
class HeldStore {
  reads = 0;
  row: 'active' | 'revoked' | 'gone' = 'active';
  failNext = false;
  private pending: (() => void)[] = [];

  constructor(private readonly secret: string) {}

  findForAuth(hash: string): Promise<KeyForAuth | undefined> {
    this.reads++;
    return new Promise((resolve, reject) => {
      this.pending.push(() => {
        if (this.failNext) {
          this.failNext = false;
          reject(new Error('database unreachable'));
        } else resolve(this.row === 'gone' || hash !== hashApiKey(this.secret) ? undefined : this.record(hash));
      });
    });
  }

  /** Answers every read waiting so far and lets their continuations run. */
  async answer(): Promise<void> {
    for (const answer of this.pending.splice(0)) answer();
    await new Promise((r) => setImmediate(r));
  }

  private record(hash: string): KeyForAuth {
    const key = { id: 'key_1', tenantId: null, partnerId: null, userId: null, name: 'k', hint: 'sgk_x', roles: ['member'], scopes: [], expiresAt: null, revokedAt: this.row === 'revoked' ? 1 : null, createdAt: 0, lastUsedAt: null };
    return { key, hash, userRoles: [], tenantPartnerId: null };
  }
}

function setUp() {
  const secret = generateApiKey();
  const store = new HeldStore(secret);
  const clock = { now: 1_000_000 };
  const warnings: unknown[] = [];
  const authenticator = new ApiKeyAuthenticator({
    store: store as unknown as ApiKeyStore,
    roles: new RoleRegistry({}, ['tenants:manage', 'users:manage', 'keys:manage', 'models:use']),
    cache: { ttlSeconds: TTL_SECONDS, maxEntries: 100, negativeTtlSeconds: 60, negativeMaxEntries: 100 },
    log: { warn: (...args: unknown[]) => warnings.push(args) } as never,
    now: () => clock.now,
  });
  /** The key's caller, loading it first (and answering the read) when it is not cached. */
  const cached = async () => {
    const first = authenticator.authenticate(secret);
    if (!(first instanceof Promise)) return first;
    await store.answer();
    return first;
  };
  return { secret, store, clock, authenticator, cached, warnings };
}

describe('API key cache: re-read ahead of the end of an entry', () => {
  it('answers from memory in the entry’s last tenth and re-reads the key on the side; the entry then lasts a full time to live again', async () => {
    const { secret, store, clock, authenticator, cached } = setUp();
    expect((await cached())?.keyId).toBe('key_1');
    expect(store.reads).toBe(1);

    // Before the last tenth: memory only.
    clock.now += TTL_MS * (1 - REFRESH_AHEAD_SHARE) - 1;
    expect(authenticator.authenticate(secret)).toMatchObject({ keyId: 'key_1' });
    expect(store.reads).toBe(1);

    // In it: still answered at once (not a promise), and one read starts, however many requests come.
    clock.now += 2;
    for (let i = 0; i < 3; i++) expect(authenticator.authenticate(secret)).toMatchObject({ keyId: 'key_1' });
    expect(store.reads).toBe(2);
    await store.answer();

    // Past where the first entry would have lapsed, the re-read one serves from memory.
    clock.now += TTL_MS * REFRESH_AHEAD_SHARE + 1000;
    expect(authenticator.authenticate(secret)).toMatchObject({ keyId: 'key_1' });
    expect(store.reads).toBe(2);
  });

  it('without a request in that tenth the entry lapses as before and the next request reads the database', async () => {
    const { secret, store, clock, authenticator, cached } = setUp();
    await cached();
    clock.now += TTL_MS + 1;
    expect(authenticator.authenticate(secret)).toBeInstanceOf(Promise);
    expect(store.reads).toBe(2);
  });

  it('a key revoked or deleted since it was cached is refused once the re-read has seen it', async () => {
    for (const row of ['revoked', 'gone'] as const) {
      const { secret, store, clock, authenticator, cached } = setUp();
      await cached();
      clock.now += TTL_MS * (1 - REFRESH_AHEAD_SHARE / 2);
      store.row = row;
      expect(authenticator.authenticate(secret)).toMatchObject({ keyId: 'key_1' });
      await store.answer();
      expect(authenticator.authenticate(secret)).toBeUndefined();
    }
  });

  it('a failed re-read is logged, the entry serves until its end (never past it), and the next request in the tenth tries again', async () => {
    const { secret, store, clock, authenticator, cached, warnings } = setUp();
    await cached();
    clock.now += TTL_MS * (1 - REFRESH_AHEAD_SHARE / 2);
    store.failNext = true;
    expect(authenticator.authenticate(secret)).toMatchObject({ keyId: 'key_1' });
    await store.answer();
    expect(warnings).toHaveLength(1);
    expect(authenticator.authenticate(secret)).toMatchObject({ keyId: 'key_1' });
    expect(store.reads).toBe(3);
    store.failNext = true;
    await store.answer();
    expect(warnings).toHaveLength(2);
    // The entry's end has come with no re-read answered: the request waits for the database.
    clock.now += TTL_MS * (REFRESH_AHEAD_SHARE / 2) + 1;
    expect(authenticator.authenticate(secret)).toBeInstanceOf(Promise);
  });
});
