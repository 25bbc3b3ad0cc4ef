import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, GUEST_KEY, readSse, startGateway, type Gateway } from './support/gateway.js';

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw?.stop();
});

const chat = (body: unknown, key?: string) =>
  gw.t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: { ...authHeaders(key), 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('POST /oai/v1/chat/completions', () => {
  it('answers with a chat.completion named after the frontend model', async () => {
    gw.upstream.script({ text: 'Hi there', usage: { prompt_tokens: 11, completion_tokens: 2 } });
    const res = await chat({ model: 'chat-model', messages: [{ role: 'system', content: 'be nice' }, { role: 'user', content: 'hello' }], temperature: 0.3 });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const body = await res.json();
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'chat-model',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there', refusal: null }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 },
    });
    expect(body.id).toMatch(/^chatcmpl-/);
    const sent = gw.upstream.requests.at(-1)!.body;
    expect(sent.model).toBe('gpt-4o-mini');
    expect(sent.temperature).toBe(0.3);
    expect(sent.messages).toEqual([{ role: 'system', content: 'be nice' }, { role: 'user', content: 'hello' }]);
  });

  it('streams chunks, a finish chunk, the usage chunk and [DONE]', async () => {
    gw.upstream.script({ text: 'one two three four', usage: { prompt_tokens: 5, completion_tokens: 4 } });
    const res = await chat({ model: 'chat-model', messages: [{ role: 'user', content: 'count' }], stream: true, stream_options: { include_usage: true } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readSse(res);
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'chat-model')).toBe(true);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('one two three four');
    const finish = chunks.at(-2);
    expect(finish.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 } });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('streams without a usage chunk unless asked', async () => {
    gw.upstream.script({ text: 'short' });
    const events = await readSse(await chat({ model: 'chat-model', messages: [{ role: 'user', content: 'x' }], stream: true }));
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.some((c) => c.choices.length === 0)).toBe(false);
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
  });

  it('passes tools through and returns tool calls, whole and streamed', async () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    gw.upstream.script({ toolCalls: [{ id: 'call_abc', name: 'get_weather', arguments: { city: 'Paris' } }] });
    const res = await chat({ model: 'chat-model', messages: [{ role: 'user', content: 'weather?' }], tools, tool_choice: 'auto' });
    const body = await res.json();
    expect(body.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { content: null, tool_calls: [{ id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    });
    expect(gw.upstream.requests.at(-1)!.body.tools[0].function.name).toBe('get_weather');

    gw.upstream.script({ toolCalls: [{ id: 'call_def', name: 'get_weather', arguments: { city: 'Oslo' } }] });
    const events = await readSse(await chat({ model: 'chat-model', messages: [{ role: 'user', content: 'weather?' }], tools, stream: true }));
    const deltas = events.slice(0, -1).flatMap((e) => JSON.parse(e.data).choices.flatMap((c: any) => c.delta.tool_calls ?? []));
    expect(deltas[0]).toMatchObject({ index: 0, id: 'call_def', type: 'function', function: { name: 'get_weather' } });
    expect(deltas.map((d: any) => d.function.arguments).join('')).toBe('{"city":"Oslo"}');
    expect(JSON.parse(events.at(-2)!.data).choices[0].finish_reason).toBe('tool_calls');
  });

  it('ends a stream whose upstream drops with an error event, not a hang', async () => {
    gw.upstream.script({ text: 'a long answer that will be cut somewhere in the middle', dropAfterChunks: 3 });
    const res = await chat({ model: 'chat-model', messages: [{ role: 'user', content: 'x' }], stream: true });
    expect(res.status).toBe(200);
    const events = await readSse(res);
    const last = JSON.parse(events.at(-1)!.data);
    expect(last.error).toMatchObject({ type: 'server_error' });
    expect(typeof last.error.message).toBe('string');
    expect(events.some((e) => e.data === '[DONE]')).toBe(false);
  });

  it('maps upstream failures to OpenAI statuses', async () => {
    gw.upstream.script({ status: 500 });
    const res = await chat({ model: 'chat-model', messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(502);
    expect((await res.json()).error).toMatchObject({ type: 'server_error', code: 'upstream_error' });
  });
});

describe('bad input: 400 in OpenAI shape, nothing sent upstream', () => {
  it.each([
    ['malformed JSON', '{"model": "chat-model", "messages": [', null],
    ['missing model', { messages: [{ role: 'user', content: 'x' }] }, 'model'],
    ['wrong content type', { model: 'chat-model', messages: [{ role: 'user', content: 42 }] }, 'messages[0].content'],
    ['wrong temperature type', { model: 'chat-model', messages: [{ role: 'user', content: 'x' }], temperature: 'warm' }, 'temperature'],
    ['n > 1', { model: 'chat-model', messages: [{ role: 'user', content: 'x' }], n: 3 }, 'n'],
    ['stop as number', { model: 'chat-model', messages: [{ role: 'user', content: 'x' }], stop: 7 }, 'stop'],
    ['embedding model on chat', { model: 'embed-model', messages: [{ role: 'user', content: 'x' }] }, 'model'],
  ])('%s', async (_name, body, param) => {
    const before = gw.upstream.requests.length;
    const res = await chat(body);
    expect(res.status).toBe(400);
    const { error } = await res.json();
    expect(error).toMatchObject({ type: 'invalid_request_error', param });
    expect(error.message).toBeTruthy();
    expect(gw.upstream.requests.length).toBe(before);
  });

  it('unknown model → 404 model_not_found', async () => {
    const before = gw.upstream.requests.length;
    const res = await chat({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(404);
    expect((await res.json()).error).toMatchObject({ type: 'invalid_request_error', code: 'model_not_found' });
    expect(gw.upstream.requests.length).toBe(before);
  });
});

describe('auth on /oai/v1', () => {
  it('401 without a key and with a wrong key, in OpenAI shape', async () => {
    for (const headers of [{}, { authorization: 'Bearer sgk_wrongwrongwrongwrongwrongwrongwrongwrong0' }] as Record<string, string>[]) {
      const res = await gw.t.fetch('/oai/v1/models', { headers });
      expect(res.status).toBe(401);
      expect((await res.json()).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key', param: null });
    }
  });

  it('403 without models:use', async () => {
    const before = gw.upstream.requests.length;
    const res = await chat({ model: 'chat-model', messages: [{ role: 'user', content: 'x' }] }, GUEST_KEY);
    expect(res.status).toBe(403);
    expect((await res.json()).error).toMatchObject({ code: 'permission_denied' });
    expect(gw.upstream.requests.length).toBe(before);
  });
});

describe('embeddings and models', () => {
  it('POST /oai/v1/embeddings returns a list of embeddings with usage', async () => {
    const res = await gw.t.fetch('/oai/v1/embeddings', { method: 'POST', headers: authHeaders(), body: { model: 'embed-model', input: ['alpha', 'beta'], dimensions: 4 } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ object: 'list', model: 'embed-model', usage: { prompt_tokens: expect.any(Number) } });
    expect(body.data.map((d: any) => [d.object, d.index, d.embedding.length])).toEqual([
      ['embedding', 0, 4],
      ['embedding', 1, 4],
    ]);
    expect(gw.upstream.requests.at(-1)!.body).toMatchObject({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], dimensions: 4 });
  });

  it('GET /oai/v1/models lists the models the caller may use', async () => {
    const res = await gw.t.fetch('/oai/v1/models', { headers: authHeaders() });
    const body = await res.json();
    expect(body.object).toBe('list');
    expect(body.data.map((m: any) => m.id).sort()).toEqual(['chat-model', 'embed-model']);
    expect(body.data[0]).toMatchObject({ object: 'model', created: expect.any(Number) });
  });
});
