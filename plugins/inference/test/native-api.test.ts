import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, GUEST_KEY, readSse, startGateway, type Gateway } from './support/gateway.js';

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw?.stop();
});

const post = (body: unknown, key?: string) => gw.t.fetch('/v1/inference/chat', { method: 'POST', headers: authHeaders(key), body: body as Record<string, unknown> });

describe('POST /v1/inference/chat', () => {
  it('answers in the native envelope with the request id', async () => {
    gw.upstream.script({ text: 'native hello', usage: { prompt_tokens: 4, completion_tokens: 2 } });
    const res = await post({ model: 'chat-model', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], max_tokens: 50 });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      object: 'chat.response',
      model: 'chat-model',
      message: { role: 'assistant', content: [{ type: 'text', text: 'native hello' }] },
      finish_reason: 'stop',
      usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6, estimated: false },
      request_id: res.headers.get('x-request-id'),
    });
    expect(gw.upstream.requests.at(-1)!.body.max_completion_tokens).toBe(50);
  });

  it('returns tool calls with JSON-string arguments', async () => {
    gw.upstream.script({ toolCalls: [{ id: 'call_n', name: 'lookup', arguments: { id: 3 } }] });
    const res = await post({ model: 'chat-model', messages: [{ role: 'user', content: 'find 3' }], tools: [{ name: 'lookup', parameters: { type: 'object' } }] });
    expect(await res.json()).toMatchObject({ finish_reason: 'tool_calls', message: { tool_calls: [{ id: 'call_n', name: 'lookup', arguments: '{"id":3}' }] } });
  });

  it('streams chunk events and a done event', async () => {
    gw.upstream.script({ text: 'stream me please', usage: { prompt_tokens: 2, completion_tokens: 3 } });
    const res = await post({ model: 'chat-model', messages: [{ role: 'user', content: 'go' }], stream: true });
    const events = await readSse(res);
    const chunks = events.filter((e) => e.event === 'chunk').map((e) => JSON.parse(e.data));
    expect(chunks.map((c) => c.text).join('')).toBe('stream me please');
    expect(events.at(-1)!.event).toBe('done');
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ model: 'chat-model', finish_reason: 'stop', usage: { prompt_tokens: 2, completion_tokens: 3 } });
  });

  it('ends a dropped stream with an error event', async () => {
    gw.upstream.script({ text: 'this will be cut off in the middle of it', dropAfterChunks: 3 });
    const events = await readSse(await post({ model: 'chat-model', messages: [{ role: 'user', content: 'go' }], stream: true }));
    expect(events.at(-1)!.event).toBe('error');
    expect(JSON.parse(events.at(-1)!.data).error.code).toBe('UPSTREAM_ERROR');
  });

  it('rejects bad input with VALIDATION_ERROR naming the field, unknown fields included', async () => {
    const before = gw.upstream.requests.length;
    for (const [body, param] of [
      [{ model: 'chat-model', messages: [{ role: 'user', content: 1 }] }, 'messages[0].content'],
      [{ model: 'chat-model', messages: [{ role: 'user', content: 'x' }], temprature: 1 }, 'temprature'],
      [{ messages: [{ role: 'user', content: 'x' }] }, 'model'],
    ] as const) {
      const res = await post(body);
      expect(res.status).toBe(400);
      const { error } = await res.json();
      expect(error).toMatchObject({ code: 'VALIDATION_ERROR', details: { param }, request_id: expect.any(String) });
    }
    expect(gw.upstream.requests.length).toBe(before);
  });

  it('uses native errors for auth and unknown models', async () => {
    expect((await (await gw.t.fetch('/v1/inference/models')).json()).error.code).toBe('UNAUTHENTICATED');
    const forbidden = await post({ model: 'chat-model', messages: [{ role: 'user', content: 'x' }] }, GUEST_KEY);
    expect(forbidden.status).toBe(403);
    const missing = await post({ model: 'nope', messages: [{ role: 'user', content: 'x' }] });
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('MODEL_NOT_FOUND');
  });

  it('GET /v1/inference/models lists usable models', async () => {
    const body = await (await gw.t.fetch('/v1/inference/models', { headers: authHeaders() })).json();
    expect(body.models.map((m: { slug: string }) => m.slug).sort()).toEqual(['chat-model', 'embed-model']);
  });
});
