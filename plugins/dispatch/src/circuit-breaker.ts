/**
 * @module circuit-breaker
 * One backend's circuit breaker: closed → open after `failureThreshold` consecutive failures
 * → half-open once `cooldownMs` passed, letting one trial call through → closed when the
 * trial succeeds, open again (fresh cooldown) when it fails. Written here rather than taken
 * from opossum because opossum wraps the call itself (its own timeout, events, rolling
 * stats), while dispatch must decide per attempt whether to call at all, and skip without
 * calling; this is thirty lines with an injected clock, so tests need no timers.
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  /** Milliseconds clock; injected by tests. */
  now?: () => number;
}

export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialStartedAt: number | undefined;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The state as of now (an open breaker whose cooldown passed reports half-open). */
  current(): BreakerState {
    if (this.state === 'open' && this.now() - this.openedAt >= this.options.cooldownMs) return 'half-open';
    return this.state;
  }

  /**
   * Whether a call may go through now. In half-open only one trial is let through at a time;
   * a trial that never reported back stops blocking after another cooldown.
   */
  tryAcquire(): boolean {
    const state = this.current();
    if (state === 'closed') return true;
    if (state === 'open') return false;
    const now = this.now();
    if (this.trialStartedAt !== undefined && now - this.trialStartedAt < this.options.cooldownMs) return false;
    this.state = 'half-open';
    this.trialStartedAt = now;
    return true;
  }

  onSuccess(): void {
    this.state = 'closed';
    this.failures = 0;
    this.trialStartedAt = undefined;
  }

  onFailure(): void {
    this.trialStartedAt = undefined;
    if (this.state === 'half-open' || ++this.failures >= this.options.failureThreshold) {
      this.state = 'open';
      this.openedAt = this.now();
      this.failures = 0;
    }
  }

  /** The call ended without saying anything about the backend (client left, request invalid). */
  onNeutral(): void {
    this.trialStartedAt = undefined;
  }

  /** Milliseconds until an open breaker lets a trial through (0 when not open). */
  retryAfterMs(): number {
    return this.current() === 'open' ? this.options.cooldownMs - (this.now() - this.openedAt) : 0;
  }
}

/** The breakers of every backend this instance dispatched to, created on first use. */
export class BreakerBoard {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(private readonly options: BreakerOptions) {}

  for(backendId: string): CircuitBreaker {
    let breaker = this.breakers.get(backendId);
    if (!breaker) {
      breaker = new CircuitBreaker(this.options);
      this.breakers.set(backendId, breaker);
    }
    return breaker;
  }

  /** Snapshot for diagnostics: backend id → state. */
  states(): Record<string, BreakerState> {
    return Object.fromEntries([...this.breakers].map(([id, b]) => [id, b.current()]));
  }
}
