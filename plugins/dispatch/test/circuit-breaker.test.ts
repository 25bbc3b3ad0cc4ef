import { describe, expect, it } from 'vitest';
import { BreakerBoard, CircuitBreaker } from '../src/circuit-breaker.js';

function setup(failureThreshold = 3, cooldownMs = 1000) {
  const clock = { t: 1_000_000 };
  const breaker = new CircuitBreaker({ failureThreshold, cooldownMs, now: () => clock.t });
  return { clock, breaker };
}

describe('CircuitBreaker', () => {
  it('stays closed below the threshold; a success resets the count', () => {
    const { breaker } = setup(3);
    breaker.onFailure();
    breaker.onFailure();
    breaker.onSuccess();
    breaker.onFailure();
    breaker.onFailure();
    expect(breaker.current()).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('opens after N consecutive failures and rejects until the cooldown passes', () => {
    const { breaker, clock } = setup(3, 1000);
    for (let i = 0; i < 3; i++) breaker.onFailure();
    expect(breaker.current()).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    clock.t += 400;
    expect(breaker.retryAfterMs()).toBe(600);
    clock.t += 599;
    expect(breaker.tryAcquire()).toBe(false);
    clock.t += 1;
    expect(breaker.current()).toBe('half-open');
  });

  it('half-open lets exactly one trial through; success closes', () => {
    const { breaker, clock } = setup(1, 1000);
    breaker.onFailure();
    clock.t += 1000;
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.onSuccess();
    expect(breaker.current()).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('a failed trial reopens with a fresh cooldown', () => {
    const { breaker, clock } = setup(5, 1000);
    for (let i = 0; i < 5; i++) breaker.onFailure();
    clock.t += 1500;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    expect(breaker.current()).toBe('open');
    expect(breaker.retryAfterMs()).toBe(1000);
    clock.t += 999;
    expect(breaker.tryAcquire()).toBe(false);
    clock.t += 1;
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('a neutral trial frees the slot without closing; a lost trial stops blocking after a cooldown', () => {
    const { breaker, clock } = setup(1, 1000);
    breaker.onFailure();
    clock.t += 1000;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onNeutral();
    expect(breaker.current()).toBe('half-open');
    expect(breaker.tryAcquire()).toBe(true);
    // This trial never reports back.
    clock.t += 999;
    expect(breaker.tryAcquire()).toBe(false);
    clock.t += 1;
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('BreakerBoard keeps one breaker per backend', () => {
    const board = new BreakerBoard({ failureThreshold: 1, cooldownMs: 1000, now: () => 0 });
    board.for('a').onFailure();
    expect(board.for('a')).toBe(board.for('a'));
    expect(board.states()).toEqual({ a: 'open' });
    expect(board.for('b').current()).toBe('closed');
  });
});
