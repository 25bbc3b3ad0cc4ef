/**
 * `clientSignal(c)` says when the client left, over real HTTP through the kernel's server, and
 * stays quiet for a request that completes; `PlainAbortSignal` behaves as an AbortSignal does
 * for the calls the request path makes.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSignal, defineModule, PlainAbortSignal, type AbortSignalLike } from '../../src/index.js';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';

describe('PlainAbortSignal', () => {
  it('calls each listener once, with the reason set, and none that was removed or came late', () => {
    const signal = new PlainAbortSignal();
    const calls: string[] = [];
    const removed = () => calls.push('removed');
    signal.addEventListener('abort', () => calls.push(`first:${String(signal.reason)}`));
    signal.addEventListener('abort', removed);
    signal.addEventListener('abort', () => calls.push('second'), { once: true });
    signal.removeEventListener('abort', removed);
    expect(signal.aborted).toBe(false);
    signal.abort('gone');
    signal.abort('again');
    signal.addEventListener('abort', () => calls.push('late'));
    expect(calls).toEqual(['first:gone', 'second']);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('gone');
  });

  it('gives an AbortError as the reason when none is given, as AbortController does', () => {
    const signal = new PlainAbortSignal();
    signal.abort();
    expect(signal.reason).toBeInstanceOf(DOMException);
    expect((signal.reason as DOMException).name).toBe('AbortError');
  });
});

describe('clientSignal over HTTP', () => {
  let t: TestKernel;
  const seen = new Map<string, AbortSignalLike>();
  const aborts: { id: string; reason: unknown }[] = [];
  let release: () => void = () => undefined;

  beforeAll(async () => {
    const probe = defineModule({
      id: 'probe',
      version: '0.1.0',
      setup(ctx) {
        ctx.routes.get('/wait/:id', async (c) => {
          const id = c.req.param('id');
          const signal = clientSignal(c);
          seen.set(id, signal);
          signal.addEventListener('abort', () => aborts.push({ id, reason: signal.reason }), { once: true });
          await new Promise<void>((resolve) => {
            release = resolve;
            signal.addEventListener('abort', () => resolve());
          });
          return c.text('done');
        });
      },
    });
    t = await startTestKernel({ modules: [probe] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('is aborted when the client closes the connection before the answer', async () => {
    const req = request(`${t.url}/v1/modules/probe/wait/gone`);
    req.on('error', () => undefined);
    req.end();
    await until(() => seen.has('gone'));
    expect(seen.get('gone')!.aborted).toBe(false);
    req.destroy();
    await until(() => aborts.length > 0);
    // node-server's wording: the request stream's error when it broke off, else "closed early".
    expect(aborts).toEqual([{ id: 'gone', reason: expect.stringMatching(/^(Error: aborted|Client connection prematurely closed\.)$/) }]);
    expect(seen.get('gone')!.aborted).toBe(true);
  });

  it('is never aborted for a request that is answered', async () => {
    const answered = t.fetch('/v1/modules/probe/wait/kept');
    await until(() => seen.has('kept'));
    release();
    const res = await answered;
    expect(await res.text()).toBe('done');
    // The connection closes when the keep-alive agent lets it go; the answer was complete by then.
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.get('kept')!.aborted).toBe(false);
    expect(aborts.map((a) => a.id)).not.toContain('kept');
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}
