import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defineModule, GatewayError } from '@scaigrid/kernel';
import { inferenceHooksRef, type InferenceContext } from '../src/index.js';
import { authHeaders, readSse, startGateway, type Gateway } from './support/gateway.js';

const calls: string[] = [];
const settled: { hook: string; phase: 'after' | 'error'; code?: string; ctx: InferenceContext }[] = [];

function recorder(id: string, dependsOn: string[]) {
  return defineModule({
    id,
    version: '0.0.0',
    dependsOn,
    setup(ctx) {
      ctx.use(inferenceHooksRef).register({
        name: id,
        beforeDispatch(c) {
          calls.push(`${id}:before`);
          c.state.set(id, 'seen');
        },
        onChunk() {
          calls.push(`${id}:chunk`);
        },
        afterResponse(c) {
          calls.push(`${id}:after`);
          settled.push({ hook: id, phase: 'after', ctx: c });
        },
        onError(c, error) {
          calls.push(`${id}:error:${error.code}`);
          settled.push({ hook: id, phase: 'error', code: error.code, ctx: c });
        },
      });
    },
  });
}

/** Refuses callers whose request says `user: 'broke'`, as a budget check would. */
const budgetGuard = defineModule({
  id: 'budget-guard',
  version: '0.0.0',
  // After the recorders, so they see the refusal in onError.
  dependsOn: ['inference', 'hooks-a'],
  setup(ctx) {
    ctx.use(inferenceHooksRef).register({
      name: 'budget-guard',
      beforeDispatch(c) {
        if (c.kind === 'chat' && c.request.user === 'broke') throw new GatewayError('BUDGET_EXCEEDED', 'Tenant budget exhausted for this month.');
      },
    });
  },
});

let gw: Gateway;
beforeAll(async () => {
  // hooks-a depends on hooks-b, so b sets up (and registers) first despite its name.
  gw = await startGateway({ modules: [recorder('hooks-a', ['inference', 'hooks-b']), recorder('hooks-b', ['inference']), budgetGuard] });
});
afterAll(async () => {
  await gw?.stop();
});
beforeEach(() => {
  calls.length = 0;
  settled.length = 0;
});

const post = (path: string, body: Record<string, unknown>, init: RequestInit = {}) => gw.t.fetch(path, { ...init, method: 'POST', headers: authHeaders(), body });

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`condition not met; calls: ${calls.join(', ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('inference hooks', () => {
  it('run in module (topological) order around a completion, with the served backend and usage', async () => {
    gw.upstream.script({ text: 'fine', usage: { prompt_tokens: 7, completion_tokens: 1 } });
    const res = await post('/oai/v1/chat/completions', { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    expect(calls).toEqual(['hooks-b:before', 'hooks-a:before', 'hooks-b:after', 'hooks-a:after']);
    const ctx = settled[0]!.ctx;
    expect(ctx).toMatchObject({
      kind: 'chat',
      api: 'openai',
      stream: false,
      aborted: false,
      usage: { promptTokens: 7, completionTokens: 1 },
      usageEstimated: false,
      provider: { id: 'fake', kind: 'openai' },
      attempts: 1,
      backend: { upstreamModel: 'gpt-4o-mini' },
      route: { slug: 'chat-model' },
    });
    expect(ctx.requestId).toBe(res.headers.get('x-request-id'));
    expect(ctx.caller.permissions.has('models:use')).toBe(true);
    expect(ctx.state.get('hooks-a')).toBe('seen');
    expect(ctx.finishedAt! >= ctx.startedAt).toBe(true);
  });

  it('see each streamed chunk and settle once the stream ends, with upstream usage', async () => {
    gw.upstream.script({ text: 'a b c d', usage: { prompt_tokens: 3, completion_tokens: 4 } });
    const res = await post('/oai/v1/chat/completions', { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }], stream: true });
    await readSse(res);
    await until(() => settled.length === 2);
    expect(calls.slice(0, 2)).toEqual(['hooks-b:before', 'hooks-a:before']);
    expect(calls.filter((c) => c === 'hooks-b:chunk').length).toBeGreaterThan(2);
    expect(calls.slice(-2)).toEqual(['hooks-b:after', 'hooks-a:after']);
    expect(settled[0]!.ctx).toMatchObject({ stream: true, usage: { promptTokens: 3, completionTokens: 4 }, usageEstimated: false });
    expect(settled[0]!.ctx.firstChunkAt).toBeGreaterThan(0);
  });

  it('a beforeDispatch refusal stops the request before any upstream call: 429 insufficient_quota on /oai/v1, 402 natively', async () => {
    const before = gw.upstream.requests.length;
    const res = await post('/oai/v1/chat/completions', { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }], user: 'broke' });
    expect(res.status).toBe(429);
    expect((await res.json()).error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_quota' });
    expect(calls).toEqual(['hooks-b:before', 'hooks-a:before', 'hooks-b:error:BUDGET_EXCEEDED', 'hooks-a:error:BUDGET_EXCEEDED']);

    const native = await post('/v1/inference/chat', { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }], user: 'broke' });
    expect(native.status).toBe(402);
    expect((await native.json()).error).toMatchObject({ code: 'BUDGET_EXCEEDED' });
    expect(gw.upstream.requests.length).toBe(before);
  });

  it('settle a stream the upstream cut short through onError, with the usage estimated so far', async () => {
    gw.upstream.script({ text: 'this answer is long enough to be cut after a few chunks have gone out', dropAfterChunks: 4 });
    const res = await post('/oai/v1/chat/completions', { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }], stream: true });
    await readSse(res);
    await until(() => settled.length === 2);
    expect(settled.map((s) => `${s.hook}:${s.phase}:${s.code}`)).toEqual(['hooks-b:error:UPSTREAM_ERROR', 'hooks-a:error:UPSTREAM_ERROR']);
    const ctx = settled[0]!.ctx;
    expect(ctx.aborted).toBe(false);
    expect(ctx.usageEstimated).toBe(true);
    expect(ctx.usage!.promptTokens).toBeGreaterThan(0);
    expect(ctx.usage!.completionTokens).toBeGreaterThan(0);
  });

  it('settle a stream the client abandoned through onError (aborted) and stop the upstream', async () => {
    gw.upstream.script({ text: 'slow answer that takes a while to arrive word by word', chunkDelayMs: 150 });
    const abort = new AbortController();
    const res = await post('/oai/v1/chat/completions', { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }], stream: true }, { signal: abort.signal });
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    await gw.upstream.waitForAbort(undefined, 3000);
    await until(() => settled.length === 2);
    expect(settled.map((s) => `${s.hook}:${s.phase}:${s.code}`)).toEqual(['hooks-b:error:CLIENT_CLOSED', 'hooks-a:error:CLIENT_CLOSED']);
    expect(settled[0]!.ctx.aborted).toBe(true);
    expect(settled[0]!.ctx.usage!.promptTokens).toBeGreaterThan(0);
  });

  it('abort a non-streamed upstream call when the client leaves', async () => {
    gw.upstream.script({ hang: true });
    const before = gw.upstream.requests.length;
    const abort = new AbortController();
    const pending = post('/oai/v1/chat/completions', { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }] }, { signal: abort.signal }).catch((e) => e);
    await until(() => gw.upstream.requests.length > before);
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);
    await gw.upstream.waitForAbort(undefined, 3000);
    await until(() => settled.length === 2);
    expect(settled.map((s) => s.code)).toEqual(['CLIENT_CLOSED', 'CLIENT_CLOSED']);
    expect(settled[0]!.ctx.aborted).toBe(true);
  });

  it('can be removed: an unregistered hook is not called again', async () => {
    const seen: string[] = [];
    const remove = gw.t.context('inference').use(inferenceHooksRef).register({ name: 'temp', afterResponse: (c) => void seen.push(c.requestId) });
    await post('/oai/v1/chat/completions', { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }] });
    remove();
    await post('/oai/v1/chat/completions', { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }] });
    expect(seen).toHaveLength(1);
  });

  it('keep the answer when an afterResponse hook throws or rejects, and still run the other hooks', async () => {
    const inference = gw.t.context('inference').use(inferenceHooksRef);
    const later: string[] = [];
    const throws = () => {
      throw new Error('sync failure');
    };
    const rejects = async () => {
      throw new Error('async failure');
    };
    const removers = [
      inference.register({ name: 'throws', afterResponse: throws }),
      inference.register({ name: 'rejects', afterResponse: rejects }),
      inference.register({ name: 'after-them', afterResponse: (c) => void later.push(c.requestId) }),
    ];
    try {
      const res = await post('/oai/v1/chat/completions', { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }] });
      expect(res.status).toBe(200);
      expect((await res.json()).object).toBe('chat.completion');
      await until(() => settled.length === 2);
      expect(settled.map((s) => `${s.hook}:${s.phase}`)).toEqual(['hooks-b:after', 'hooks-a:after']);
      await until(() => later.length === 1);
    } finally {
      for (const remove of removers) remove();
    }
  });

  it('embeddings pass through the hooks too', async () => {
    const res = await post('/oai/v1/embeddings', { model: 'embed-model', input: 'hello' });
    expect(res.status).toBe(200);
    expect(calls).toEqual(['hooks-b:before', 'hooks-a:before', 'hooks-b:after', 'hooks-a:after']);
    expect(settled[0]!.ctx).toMatchObject({ kind: 'embedding', request: { model: 'embed-model', input: ['hello'] }, usageEstimated: false });
  });
});
