/**
 * UpstreamBody: what undici's dispatch handler pushes comes out in order, whole or chunk by
 * chunk; a reader that falls behind pauses the upstream and resumes it once caught up; a
 * reader that stops early aborts the request; a break-off reaches the reader after the
 * chunks that came before it.
 */
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { UpstreamBody } from '../src/upstream-body.js';

/** Records what the body asks of undici's controller. */
function controller() {
  const calls: string[] = [];
  let paused = false;
  const c = {
    get paused() {
      return paused;
    },
    get aborted() {
      return calls.some((call) => call.startsWith('abort'));
    },
    reason: null,
    pause: () => {
      paused = true;
      calls.push('pause');
    },
    resume: () => {
      paused = false;
      calls.push('resume');
    },
    abort: (reason: Error) => void calls.push(`abort: ${reason.message}`),
  };
  return { controller: c as unknown as Dispatcher.DispatchController, calls };
}

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('UpstreamBody', () => {
  it('gives the whole text of the chunks pushed before and after the read starts', async () => {
    const body = new UpstreamBody(controller().controller);
    body.push(bytes('{"a":'));
    const text = body.text();
    body.push(bytes('"é'));
    body.push(bytes('"}'));
    body.end();
    expect(await text).toBe('{"a":"é"}');
  });

  it('pauses the upstream while a reader is more than 64 KB behind, and resumes it when the reader takes them', async () => {
    const { controller: c, calls } = controller();
    const body = new UpstreamBody(c);
    for (let i = 0; i < 5; i++) body.push(Buffer.alloc(20 * 1024, i));
    expect(calls).toEqual(['pause', 'pause']);
    const reader = body[Symbol.asyncIterator]();
    // Everything buffered comes as one chunk, in order.
    const first = (await reader.next()).value!;
    expect(first.length).toBe(100 * 1024);
    expect([0, 20, 40, 60, 80].map((kb) => first[kb * 1024])).toEqual([0, 1, 2, 3, 4]);
    expect(calls.at(-1)).toBe('resume');
    body.end();
    expect(await reader.next()).toEqual({ value: undefined, done: true });
  });

  it('gives a waiting reader every chunk of one socket read in one step', async () => {
    const body = new UpstreamBody(controller().controller);
    const reader = body[Symbol.asyncIterator]();
    const waiting = reader.next();
    // undici calls the handler once per chunk of a chunked body, synchronously, for one read.
    for (const part of ['data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n']) body.push(bytes(part));
    expect((await waiting).value!.toString()).toBe('data: 1\n\ndata: 2\n\ndata: 3\n\n');
    body.end();
    expect((await reader.next()).done).toBe(true);
  });

  it('aborts the request when the reader leaves before the end, and not after it', async () => {
    const early = controller();
    const body = new UpstreamBody(early.controller);
    body.push(bytes('first'));
    for await (const chunk of body) {
      expect(chunk.toString()).toBe('first');
      break;
    }
    expect(early.calls).toEqual(['abort: The upstream body was not read to the end']);

    const whole = controller();
    const complete = new UpstreamBody(whole.controller);
    complete.push(bytes('all'));
    complete.end();
    for await (const chunk of complete) expect(chunk.toString()).toBe('all');
    expect(whole.calls).toEqual([]);
  });

  it('hands over what arrived, then the failure', async () => {
    const body = new UpstreamBody(controller().controller);
    const reader = body[Symbol.asyncIterator]();
    const waiting = reader.next();
    body.push(bytes('part'));
    expect((await waiting).value!.toString()).toBe('part');
    body.push(bytes('more'));
    body.fail(new Error('socket hang up'));
    expect((await reader.next()).value!.toString()).toBe('more');
    await expect(reader.next()).rejects.toThrow('socket hang up');
  });

  it('can be read once', () => {
    const body = new UpstreamBody(controller().controller);
    body[Symbol.asyncIterator]();
    expect(() => body[Symbol.asyncIterator]()).toThrow(/read once/);
  });
});
