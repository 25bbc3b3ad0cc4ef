/**
 * @module last-used-tracker
 * `last_used_at` without a write per request: uses are noted in memory (a Map set) and
 * written in one batch every interval and at stop. The time is approximate by design.
 */
import type { ModuleContext } from '@scaigrid/kernel';
import type { ApiKeyStore } from './store/api-key-store.js';

type Logger = ModuleContext['log'];

export class LastUsedTracker {
  private pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: ApiKeyStore,
    private readonly log: Logger,
  ) {}

  note(keyId: string, at: number): void {
    this.pending.set(keyId, at);
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.store.recordLastUsed(batch);
    } catch (err) {
      this.log.warn({ err, keys: batch.size }, 'Could not record last_used_at; will retry with the next uses');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
