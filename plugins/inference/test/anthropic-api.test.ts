/**
 * Anthropic's Messages API at `/anthropic/v1` over an OpenAI backend, in raw HTTP: the exact
 * event sequence of "Streaming Messages", the error shapes of "Errors", what the upstream
 * received, and that requests go through the same hooks as `/oai/v1`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineModule } from '@scaigrid/kernel';
import { inferenceHooksRef, type InferenceContext } from '../src/index.js';
import { authHeaders, GUEST_KEY, MEMBER_KEY, readSse, startGateway, type Gateway } from './support/gateway.js';

const seen: InferenceContext[] = [];
const hookRecorder = defineModule({
  id: 'anthropic-hook-recorder',
  version: '0.0.0',
  dependsOn: ['inference'],
  setup(ctx) {
    ctx.use(inferenceHooksRef).register({ name: 'recorder', afterResponse: (c) => void seen.push(c) });
  },
});

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway({ modules: [hookRecorder] });
});
afterAll(async () => {
  await gw?.stop();
});

const post = (path: string, body: unknown, headers: Record<string, string> = { 'x-api-key': MEMBER_KEY }) =>
  gw.t.fetch(`/anthropic/v1${path}`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const weatherTool = { name: 'get_weather', description: 'Weather now', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };

describe('POST /anthropic/v1/messages', () => {
  it('answers with a message named after the frontend model, and maps the request', async () => {
    gw.upstream.script({ text: 'Bonjour', usage: { prompt_tokens: 12, completion_tokens: 3 } });
    const res = await post('/messages', {
      model: 'chat-model',
      max_tokens: 50,
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [{ role: 'user', content: 'Hello' }],
      temperature: 0.2,
      stop_sequences: ['END'],
      top_k: 5,
      metadata: { user_id: 'u-42' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('request-id')).toBe(res.headers.get('x-request-id'));
    const body = await res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^msg_/),
      type: 'message',
      role: 'assistant',
      model: 'chat-model',
      content: [{ type: 'text', text: 'Bonjour' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 3, cache_read_input_tokens: 0 },
    });
    const sent = gw.upstream.requests.at(-1)!.body;
    expect(sent).toMatchObject({ model: 'gpt-4o-mini', max_completion_tokens: 50, temperature: 0.2, stop: ['END'], user: 'u-42' });
    expect(sent.messages).toEqual([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }]);
    // Anthropic-only knobs are not forwarded to a provider that would reject them.
    expect(sent.top_k).toBeUndefined();
    expect(seen.at(-1)).toMatchObject({ api: 'anthropic', kind: 'chat', stream: false, usage: { promptTokens: 12, completionTokens: 3 } });
  });

  it('accepts the key as a bearer token too, and refuses a bad one with authentication_error', async () => {
    gw.upstream.script({ text: 'ok' });
    expect((await post('/messages', { model: 'chat-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, authHeaders())).status).toBe(200);
    const bad = await post('/messages', { model: 'chat-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, { 'x-api-key': 'sgk_wrong' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' }, request_id: expect.any(String) });
    const none = await post('/messages', { model: 'chat-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, {});
    expect(none.status).toBe(401);
    const guest = await post('/messages', { model: 'chat-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, { 'x-api-key': GUEST_KEY });
    expect(guest.status).toBe(403);
    expect((await guest.json()).error.type).toBe('permission_error');
  });

  it('streams the events of "Streaming Messages" in order', async () => {
    gw.upstream.script({ text: 'one two three', usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const res = await post('/messages', { model: 'chat-model', max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'count' }] });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('request-id')).toBe(res.headers.get('x-request-id'));
    const events = await readSse(res);
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('message_start');
    expect(names[1]).toBe('ping');
    expect(names[2]).toBe('content_block_start');
    expect(names.slice(-4)).toEqual(['content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    for (const e of events) expect(JSON.parse(e.data).type).toBe(e.event);
    const start = JSON.parse(events[0]!.data).message;
    expect(start).toMatchObject({ type: 'message', role: 'assistant', model: 'chat-model', content: [], stop_reason: null });
    expect(start.usage.input_tokens).toBeGreaterThan(0);
    expect(JSON.parse(events[2]!.data)).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    const text = events.filter((e) => e.event === 'content_block_delta').map((e) => JSON.parse(e.data).delta.text).join('');
    expect(text).toBe('one two three');
    expect(JSON.parse(events.at(-2)!.data)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 7, output_tokens: 3, cache_read_input_tokens: 0 },
    });
    expect(seen.at(-1)).toMatchObject({ api: 'anthropic', stream: true });
  });

  it('streams a tool call as a tool_use block with input_json_delta, after the text', async () => {
    gw.upstream.script({ text: 'Let me check.', toolCalls: [{ id: 'call_w1', name: 'get_weather', arguments: { city: 'Oslo' } }] });
    const events = await readSse(
      await post('/messages', { model: 'chat-model', max_tokens: 50, stream: true, tools: [weatherTool], messages: [{ role: 'user', content: 'weather?' }] }),
    );
    const data = events.map((e) => JSON.parse(e.data));
    const starts = data.filter((d) => d.type === 'content_block_start');
    expect(starts.map((s) => [s.index, s.content_block.type])).toEqual([
      [0, 'text'],
      [1, 'tool_use'],
    ]);
    expect(starts[1].content_block).toEqual({ type: 'tool_use', id: 'call_w1', name: 'get_weather', input: {} });
    const json = data.filter((d) => d.type === 'content_block_delta' && d.index === 1).map((d) => d.delta.partial_json).join('');
    expect(JSON.parse(json)).toEqual({ city: 'Oslo' });
    expect(data.filter((d) => d.type === 'content_block_stop').map((d) => d.index)).toEqual([0, 1]);
    expect(data.at(-2).delta.stop_reason).toBe('tool_use');
  });

  it('sends tool results back as tool messages, with is_error kept in the text', async () => {
    gw.upstream.script({ text: 'It is 5 degrees.' });
    const res = await post('/messages', {
      model: 'chat-model',
      max_tokens: 50,
      tools: [weatherTool],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [
        { role: 'user', content: 'weather in Oslo and Bergen?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Bergen' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: '5C' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'station offline' }], is_error: true },
            { type: 'text', text: 'Summarise.' },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    const sent = gw.upstream.requests.at(-1)!.body;
    expect(sent.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    expect(sent.tools[0].function).toMatchObject({ name: 'get_weather', description: 'Weather now' });
    expect(sent.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bergen"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: '5C' },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: station offline' },
      { role: 'user', content: 'Summarise.' },
    ]);
  });

  it('passes base64 and URL images on as image parts', async () => {
    gw.upstream.script({ text: 'A cat.' });
    const res = await post('/messages', {
      model: 'chat-model',
      max_tokens: 50,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            { type: 'text', text: 'What is this?' },
          ],
        },
      ],
    });
    expect(res.status).toBe(200);
    const parts = gw.upstream.requests.at(-1)!.body.messages[0].content;
    expect(parts.map((p: any) => p.image_url?.url ?? p.text)).toEqual(['data:image/png;base64,iVBORw0KGgo=', 'https://example.com/cat.jpg', 'What is this?']);
  });
});

describe('errors', () => {
  const cases: [string, unknown, string][] = [
    ['max_tokens missing', { model: 'chat-model', messages: [{ role: 'user', content: 'x' }] }, 'max_tokens'],
    ['a bad role', { model: 'chat-model', max_tokens: 5, messages: [{ role: 'system', content: 'x' }] }, 'messages[0].role'],
    ['temperature above 1', { model: 'chat-model', max_tokens: 5, temperature: 1.5, messages: [{ role: 'user', content: 'x' }] }, 'temperature'],
    ['a document block', { model: 'chat-model', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }] }, 'messages[0].content'],
    ['mcp_servers', { model: 'chat-model', max_tokens: 5, mcp_servers: [{ type: 'url', url: 'https://mcp.example.com', name: 'x' }], messages: [{ role: 'user', content: 'x' }] }, 'mcp_servers'],
    ['a server tool', { model: 'chat-model', max_tokens: 5, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'x' }] }, 'tools[0]'],
  ];
  it.each(cases)('400 invalid_request_error for %s, and the upstream receives nothing', async (_name, body, param) => {
    const before = gw.upstream.requests.length;
    const res = await post('/messages', body);
    expect(res.status).toBe(400);
    const error = await res.json();
    expect(error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(error.error.message).toContain(param);
    expect(gw.upstream.requests.length).toBe(before);
  });

  it('400 for a body that is not JSON', async () => {
    const res = await post('/messages', '{not json');
    expect(res.status).toBe(400);
    expect((await res.json()).error.type).toBe('invalid_request_error');
  });

  it('404 not_found_error for an unknown model and an unknown path', async () => {
    const res = await post('/messages', { model: 'nope', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(404);
    expect((await res.json()).error.type).toBe('not_found_error');
    const path = await post('/nothing-here', {});
    expect(path.status).toBe(404);
    expect((await path.json()).type).toBe('error');
  });

  it('an upstream 429 stays a 429 rate_limit_error with Retry-After; a 500 is an api_error', async () => {
    gw.upstream.script({ status: 429, retryAfter: 7 });
    const limited = await post('/messages', { model: 'chat-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await limited.json()).error.type).toBe('rate_limit_error');
    gw.upstream.script({ status: 400, message: 'bad thing' });
    const rejected = await post('/messages', { model: 'chat-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    expect(rejected.status).toBe(400);
    expect((await rejected.json()).error.type).toBe('invalid_request_error');
  });

  it('a stream cut mid-way ends with an error event', async () => {
    gw.upstream.script({ text: 'a long answer that will be cut short by the upstream', dropAfterChunks: 4 });
    const events = await readSse(await post('/messages', { model: 'chat-model', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'x' }] }));
    expect(events[0]!.event).toBe('message_start');
    const last = events.at(-1)!;
    expect(last.event).toBe('error');
    expect(JSON.parse(last.data)).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.any(String) } });
    expect(events.some((e) => e.event === 'message_stop')).toBe(false);
  });
});

describe('count_tokens and models', () => {
  it('estimates input tokens without calling the upstream', async () => {
    const before = gw.upstream.requests.length;
    const small = await post('/messages/count_tokens', { model: 'chat-model', messages: [{ role: 'user', content: 'hi' }] });
    expect(small.status).toBe(200);
    const big = await post('/messages/count_tokens', { model: 'chat-model', system: 'x'.repeat(400), tools: [weatherTool], messages: [{ role: 'user', content: 'hi' }] });
    const a = (await small.json()).input_tokens;
    const b = (await big.json()).input_tokens;
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a + 100);
    expect(gw.upstream.requests.length).toBe(before);
    const unknown = await post('/messages/count_tokens', { model: 'nope', messages: [{ role: 'user', content: 'hi' }] });
    expect(unknown.status).toBe(404);
  });

  it('lists chat models only', async () => {
    const res = await gw.t.fetch('/anthropic/v1/models', { headers: { 'x-api-key': MEMBER_KEY } });
    const body = await res.json();
    expect(body.data.map((m: any) => m.id)).toEqual(['chat-model']);
    expect(body.data[0]).toMatchObject({ type: 'model', display_name: 'chat-model' });
  });
});

describe('config', () => {
  it('anthropicApi: false leaves /anthropic unmounted', async () => {
    const off = await startGateway({ config: { inference: { anthropicApi: false } } });
    try {
      const res = await off.t.fetch('/anthropic/v1/messages', { method: 'POST', headers: { 'x-api-key': MEMBER_KEY }, body: '{}' });
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('NOT_FOUND');
    } finally {
      await off.stop();
    }
  });
});
