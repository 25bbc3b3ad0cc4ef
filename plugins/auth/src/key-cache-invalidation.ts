/**
 * @module key-cache-invalidation
 * Keeps every instance's key cache honest: a change evicts locally at once and is broadcast
 * on the event bus for the other instances (and this one's subscription, harmlessly). If a
 * publish fails the change still stands; other instances then catch up within the cache TTL.
 */
import type { EventBus, ModuleContext } from '@scaigrid/kernel';
import type { ApiKeyAuthenticator } from './api-key-authenticator.js';
import { KEY_CHANGED, KEY_CREATED, KEY_REVOKED, PRINCIPAL_CHANGED, type KeyEvent, type PrincipalEvent } from './events.js';

type Logger = ModuleContext['log'];

export class KeyCacheInvalidation {
  constructor(
    private readonly keys: ApiKeyAuthenticator,
    private readonly events: EventBus,
    private readonly log: Logger,
  ) {}

  /** Subscribes to the broadcasts; returns the unsubscribe functions. */
  async listen(): Promise<(() => Promise<void>)[]> {
    return Promise.all([
      this.events.subscribe<KeyEvent>(KEY_REVOKED, (m) => this.keys.evictKey(m.payload.keyId)),
      this.events.subscribe<KeyEvent>(KEY_CHANGED, (m) => this.keys.evictKey(m.payload.keyId)),
      this.events.subscribe(KEY_CREATED, () => this.keys.forgetUnknown()),
      this.events.subscribe<PrincipalEvent>(PRINCIPAL_CHANGED, (m) => this.keys.evictOwner(m.payload)),
    ]);
  }

  async keyRevoked(keyId: string): Promise<void> {
    this.keys.evictKey(keyId);
    await this.publish(KEY_REVOKED, { keyId });
  }

  async keyChanged(keyId: string): Promise<void> {
    this.keys.evictKey(keyId);
    await this.publish(KEY_CHANGED, { keyId });
  }

  async keyCreated(): Promise<void> {
    this.keys.forgetUnknown();
    await this.publish(KEY_CREATED, {});
  }

  async principalChanged(owner: PrincipalEvent): Promise<void> {
    this.keys.evictOwner(owner);
    await this.publish(PRINCIPAL_CHANGED, owner);
  }

  private async publish(topic: string, payload: unknown): Promise<void> {
    try {
      await this.events.publish(topic, payload);
    } catch (err) {
      this.log.error({ err, topic }, 'Could not broadcast a key cache eviction; other instances catch up within the cache TTL');
    }
  }
}
