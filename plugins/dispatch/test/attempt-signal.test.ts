/**
 * AttemptSignal: aborted by the client or by its timer, told apart afterwards; the real
 * AbortSignal a provider reads from its call is made on first read and follows the attempt
 * either way round; the toolkit's own calls listen on the attempt without making one.
 */
import { PlainAbortSignal } from '@scaigrid/kernel';
import { describe, expect, it } from 'vitest';
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

  it('gives a call made elsewhere its own signal', () => {
    const controller = new AbortController();
    const call: DispatchCall = { ...fields(), signal: controller.signal };
    expect(abortSignalOf(call)).toBe(controller.signal);
  });
});
