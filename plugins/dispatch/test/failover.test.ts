import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelRoute } from '@scaigrid/plugin-routing';
import dispatchModule, { chunksOf, dispatchServiceRef, UpstreamError, type ChatChunk, type ChatRequest, type DispatchService } from '../src/index.js';
import { collectChunks } from '../../../test/fakes/dispatch-call.js';
import { startWithAuth, type AuthKernel } from '@scaigrid/plugin-auth/testing';
import { answer, chunks, hang, one, scriptedModule, two } from './scripted-dispatchers.js';

const SECRET = 'sk-test-very-secret-value-123';
process.env.SG_DISPATCH_FAKE_ONE_KEY = SECRET;

const backend = (id: string, providerId: string, priority: number) => ({
  id,
  providerId,
  upstreamModel: `${id}-model`,
  priority,
  weight: 1,
  inputPricePerMillion: 0,
  outputPricePerMillion: 0,
  inputMicrosPerMillion: 0,
  outputMicrosPerMillion: 0,
  options: { backendOption: id },
});
const route = (...backends: ReturnType<typeof backend>[]): ModelRoute => ({ slug: 'm', policy: 'priority', currency: 'USD', kind: 'chat', metadata: {}, backends });
const both = route(backend('b1', 'p1', 0), backend('b2', 'p2', 1));
const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }] };
const opts = () => ({ signal: new AbortController().signal, requestId: 'req-1' });
const fail500 = async () => {
  throw new UpstreamError('http', 'Upstream answered 500', 500, undefined, 'internal failure');
};

let t: AuthKernel;
let dispatch: DispatchService;
beforeEach(async () => {
  one.reset();
  two.reset();
  t = await startWithAuth({
    modules: [dispatchModule, scriptedModule],
    config: {
      dispatch: {
        providers: [
          { id: 'p1', kind: 'fake-one', apiKeyEnv: 'SG_DISPATCH_FAKE_ONE_KEY', timeoutMs: 300, options: { region: 'eu' } },
          { id: 'p2', kind: 'fake-two', timeoutMs: 300 },
        ],
        breaker: { failureThreshold: 2, cooldownMs: 60_000 },
      },
    },
  });
  dispatch = t.context('dispatch').use(dispatchServiceRef);
});
afterEach(async () => {
  await t.stop();
});

async function rejection(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string; headers: Record<string, string> }> {
  try {
    await promise;
  } catch (err) {
    return err as never;
  }
  throw new Error('expected a rejection');
}

describe('dispatch.service chat', () => {
  it('passes the backend, provider and credentials to the dispatcher and says who served', async () => {
    const served = await dispatch.chat(both, request, opts());
    expect(served).toMatchObject({ providerId: 'p1', providerKind: 'fake-one', attempts: 1, backend: { id: 'b1' } });
    expect(one.calls).toHaveLength(1);
    const { request: sent, call } = one.calls[0];
    expect(sent.model).toBe('b1-model');
    expect(call.target).toMatchObject({ model: 'b1-model', options: { backendOption: 'b1' }, provider: { id: 'p1', apiKey: SECRET, options: { region: 'eu' }, timeoutMs: 300 } });
    expect(call.requestId).toBe('req-1');
    expect(two.calls).toHaveLength(0);
  });

  it('fails over on a retryable 500 to the next backend', async () => {
    one.chatBehaviour = fail500;
    const served = await dispatch.chat(both, request, opts());
    expect(served.backend.id).toBe('b2');
    expect(served.attempts).toBe(2);
    expect(served.response.message.content).toEqual([{ type: 'text', text: 'fake-two says hi' }]);
    expect([one.calls.length, two.calls.length]).toEqual([1, 1]);
  });

  it('opens the breaker after the threshold and then skips the backend without calling it', async () => {
    one.chatBehaviour = fail500;
    await dispatch.chat(both, request, opts());
    await dispatch.chat(both, request, opts());
    expect(one.calls).toHaveLength(2);
    const third = await dispatch.chat(both, request, opts());
    expect(third.backend.id).toBe('b2');
    expect(one.calls).toHaveLength(2);
    expect(two.calls).toHaveLength(3);
  });

  it('all candidates failing gives the last error; all breakers open gives 503 with Retry-After', async () => {
    one.chatBehaviour = fail500;
    two.chatBehaviour = async () => {
      throw new UpstreamError('connect', 'connect ECONNREFUSED 127.0.0.1:9');
    };
    for (let i = 0; i < 2; i++) {
      const err = await rejection(dispatch.chat(both, request, opts()));
      expect(err.code).toBe('UPSTREAM_ERROR');
      expect(err.status).toBe(502);
      expect(err.message).toContain('ECONNREFUSED');
    }
    const open = await rejection(dispatch.chat(both, request, opts()));
    expect(open.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(open.status).toBe(503);
    expect(Number(open.headers['Retry-After'])).toBeGreaterThan(50);
    expect([one.calls.length, two.calls.length]).toEqual([2, 2]);
  });

  it('does not fail over on a non-retryable upstream 4xx; a 400 becomes VALIDATION_ERROR', async () => {
    one.chatBehaviour = async () => {
      throw new UpstreamError('http', 'Upstream answered 400', 400, undefined, "'messages' is too long");
    };
    const err = await rejection(dispatch.chat(both, request, opts()));
    expect(err.code).toBe('VALIDATION_ERROR');
    expect(err.message).toContain("'messages' is too long");
    expect(two.calls).toHaveLength(0);
    // Not counted against the breaker: b1 is still tried.
    for (let i = 0; i < 3; i++) await rejection(dispatch.chat(both, request, opts()));
    expect(one.calls).toHaveLength(4);
  });

  it('never passes on an upstream 401 message, and scrubs the key from any message', async () => {
    one.chatBehaviour = async () => {
      throw new UpstreamError('http', 'Upstream answered 401', 401, undefined, `Incorrect API key provided: ${SECRET}`);
    };
    const err = await rejection(dispatch.chat(route(backend('b1', 'p1', 0)), request, opts()));
    expect(err.code).toBe('UPSTREAM_ERROR');
    expect(err.message).not.toContain(SECRET);
    one.chatBehaviour = async () => {
      throw new UpstreamError('http', 'Upstream answered 500', 500, undefined, `oops with ${SECRET} inside`);
    };
    const scrubbed = await rejection(dispatch.chat(route(backend('b1', 'p1', 0)), request, opts()));
    expect(scrubbed.message).not.toContain(SECRET);
    expect(scrubbed.message).toContain('[redacted]');
  });

  it('times out a hanging backend and fails over; alone it is UPSTREAM_TIMEOUT 504', async () => {
    one.chatBehaviour = (_, call) => hang(call, false);
    const served = await dispatch.chat(both, request, opts());
    expect(served.backend.id).toBe('b2');
    const err = await rejection(dispatch.chat(route(backend('b1', 'p1', 0)), request, opts()));
    expect(err.code).toBe('UPSTREAM_TIMEOUT');
    expect(err.status).toBe(504);
  });

  it('a client abort stops at once: no failover, no breaker failure', async () => {
    const controller = new AbortController();
    one.chatBehaviour = (_, call) => hang(call);
    const pending = dispatch.chat(both, request, { signal: controller.signal, requestId: 'r' });
    setTimeout(() => controller.abort(new Error('client went away')), 20);
    await expect(pending).rejects.toThrow();
    expect(two.calls).toHaveLength(0);
    // Threshold is 2: had the abort counted, this one failure would open b1's breaker.
    one.chatBehaviour = fail500;
    expect((await dispatch.chat(both, request, opts())).backend.id).toBe('b2');
    one.chatBehaviour = async (req) => answer('back', req.model);
    expect((await dispatch.chat(both, request, opts())).backend.id).toBe('b1');
  });

  it('skips a backend whose provider is not configured', async () => {
    const served = await dispatch.chat(route(backend('ghost', 'nope', 0), backend('b2', 'p2', 1)), request, opts());
    expect(served.backend.id).toBe('b2');
    const err = await rejection(dispatch.chat(route(backend('ghost', 'nope', 0)), request, opts()));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(err.message).toContain("'nope'");
  });

  it('embeddings go through the same walk', async () => {
    const served = await dispatch.embeddings(both, { model: 'm', input: ['x', 'y'] }, opts());
    expect(served.backend.id).toBe('b1');
    expect(served.response.embeddings).toEqual([[8], [8]]);
  });
});

describe('dispatch.service chatStream', () => {
  it('fails over when the upstream refuses before accepting', async () => {
    one.streamBehaviour = fail500;
    const served = await dispatch.chatStream(both, request, opts());
    expect(served.backend.id).toBe('b2');
    expect(await collectChunks(served.chunks)).toEqual([{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }, { type: 'finish', finishReason: 'stop' }]);
  });

  it('fails over when the upstream accepts but fails before its first chunk', async () => {
    one.streamBehaviour = async () => chunks([], new UpstreamError('http', 'overloaded', 529));
    const served = await dispatch.chatStream(both, request, opts());
    expect(served.backend.id).toBe('b2');
    expect((await collectChunks(served.chunks)).length).toBe(3);
    expect([one.calls.length, two.calls.length]).toEqual([1, 1]);
  });

  it('says once when the first backend accepted, and still fails over until a first chunk', async () => {
    one.streamBehaviour = async () => chunks([], new UpstreamError('http', 'overloaded', 529));
    const accepted: string[] = [];
    const served = await dispatch.chatStream(both, request, { ...opts(), onAccepted: () => accepted.push(`after ${one.calls.length + two.calls.length} call(s)`) });
    expect(accepted).toEqual(['after 1 call(s)']);
    expect(served.backend.id).toBe('b2');
    expect((await collectChunks(served.chunks)).length).toBe(3);
  });

  it('never says accepted when every backend refuses before accepting', async () => {
    one.streamBehaviour = fail500;
    two.streamBehaviour = fail500;
    let accepted = 0;
    const err = await rejection(dispatch.chatStream(both, request, { ...opts(), onAccepted: () => accepted++ }));
    expect(err.code).toBe('UPSTREAM_ERROR');
    expect(accepted).toBe(0);
  });

  it('never fails over after the first chunk: the error surfaces from the stream', async () => {
    one.streamBehaviour = async () => chunks(['partial'], new UpstreamError('http', 'connection reset', 502));
    const served = await dispatch.chatStream(both, request, opts());
    expect(served.backend.id).toBe('b1');
    const seen: ChatChunk[] = [];
    const err = await rejection(
      (async () => {
        for await (const item of served.chunks) seen.push(...chunksOf(item));
      })(),
    );
    expect(seen).toEqual([{ type: 'text', text: 'partial' }]);
    expect(err.code).toBe('UPSTREAM_ERROR');
    expect(two.calls).toHaveLength(0);
  });

  it('an upstream that goes quiet mid-stream hits the idle timeout', async () => {
    one.streamBehaviour = async (_, call) =>
      (async function* () {
        yield { type: 'text', text: 'x' } as ChatChunk;
        await hang(call);
      })();
    const served = await dispatch.chatStream(route(backend('b1', 'p1', 0)), request, opts());
    const err = await rejection(collectChunks(served.chunks));
    expect(err.code).toBe('UPSTREAM_TIMEOUT');
  });

  it('a consumer that stops early closes the upstream iterator', async () => {
    let closed = false;
    one.streamBehaviour = async () =>
      (async function* () {
        try {
          for (let i = 0; ; i++) yield { type: 'text', text: String(i) } as ChatChunk;
        } finally {
          closed = true;
        }
      })();
    const served = await dispatch.chatStream(both, request, opts());
    for await (const item of served.chunks) if (chunksOf(item).some((c) => c.type === 'text' && c.text === '3')) break;
    expect(closed).toBe(true);
  });
});
