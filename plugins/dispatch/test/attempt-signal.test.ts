/**
 * AttemptSignal: aborted by the client or by its timer, told apart afterwards; the real
 * AbortSignal a provider reads from its call is made on first read and follows the attempt
 * either way round; the toolkit's own calls listen on the attempt without making one.
 */
import { PlainAbortSignal } from '@scaigrid/kernel';
import { describe, expect, it, vi } from 'vitest';
import { AttemptSignal, abortSignalOf } from '../src/attempt-signal.js';
import type { DispatchCall } from '../src/dispatcher.js';

const fields = () => ({ target: {} as DispatchCall['target'], http: {} as DispatchCall['http'], requestId: 'r1' });

describe('AttemptSignal', () => {
  it('follows the client, and a call signal read afterwards is already aborted with its reason', () => {
    const client = new PlainAbortSignal();
    const attempt = new AttemptSignal(client, 60_000);
    const call = attempt.call(fields());
    const heard: unknown[] = [];
    abortSignalOf(call).addEventListener('abort', () => heard.push(abortSignalOf(call).reason));
    client.abort('client left');
    expect(heard).toEqual(['client left']);
    expect(attempt.clientAborted).toBe(true);
    expect(call.signal).toBeInstanceOf(AbortSignal);
    expect(call.signal.aborted).toBe(true);
    expect(call.signal.reason).toBe('client left');
    attempt.dispose();
  });

  it('aborts a call signal read before the abort, and times out on its own timer', async () => {
    const attempt = new AttemptSignal(new PlainAbortSignal(), 20);
    const call = attempt.call(fields());
    const signal = call.signal;
    expect(call.signal).toBe(signal);
    await new Promise((resolve) => signal.addEventListener('abort', resolve));
    expect(attempt.timedOut).toBe(true);
    expect(signal.reason).toMatchObject({ kind: 'timeout' });
    await expect(attempt.race(new Promise(() => undefined))).rejects.toMatchObject({ kind: 'timeout' });
    attempt.dispose();
  });

  it('ends a race in flight when aborted, with an AbortError when no reason is given', async () => {
    const attempt = new AttemptSignal(new PlainAbortSignal(), 60_000);
    const racing = attempt.race(new Promise(() => undefined));
    attempt.abort();
    await expect(racing).rejects.toBeInstanceOf(DOMException);
    expect((attempt.reason as DOMException).name).toBe('AbortError');
    attempt.dispose();
  });

  it('moves its deadline when re-armed, with one timer for many re-arms, and does not fire while paused', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const timers = vi.spyOn(globalThis, 'setTimeout');
    const attempt = new AttemptSignal(new PlainAbortSignal(), 80);
    try {
      // A chunk every 10 ms for ~200 ms: never 80 ms idle, so never aborted.
      const started = performance.now();
      for (let i = 0; i < 20; i++) {
        await sleep(10);
        attempt.disarm();
        attempt.arm();
      }
      expect(attempt.aborted).toBe(false);
      // Besides the test's own sleeps, the attempt's timers: its first, and one more each time
      // it fired before the moved deadline, which is at least 40 ms later while chunks come at
      // most 40 ms apart. Not one per re-arm (21 here).
      const elapsed = performance.now() - started;
      const own = timers.mock.calls.filter(([, ms]) => ms !== 10).length;
      expect(own).toBeGreaterThanOrEqual(1);
      expect(own).toBeLessThanOrEqual(Math.min(10, 2 + Math.floor(elapsed / 40)));
      // Paused (a client reading slowly) for longer than the timeout: still not aborted.
      attempt.disarm();
      await sleep(200);
      expect(attempt.aborted).toBe(false);
      // Armed again, and then idle: it times out, one timeout later.
      const armedAt = performance.now();
      attempt.arm();
      await new Promise<void>((resolve) => attempt.addEventListener('abort', () => resolve()));
      expect(performance.now() - armedAt).toBeGreaterThanOrEqual(79);
      expect(attempt.timedOut).toBe(true);
      expect(attempt.reason).toMatchObject({ kind: 'timeout' });
    } finally {
      timers.mockRestore();
      attempt.dispose();
    }
  });

  it('gives a call made elsewhere its own signal', () => {
    const controller = new AbortController();
    const call: DispatchCall = { ...fields(), signal: controller.signal };
    expect(abortSignalOf(call)).toBe(controller.signal);
  });
});
