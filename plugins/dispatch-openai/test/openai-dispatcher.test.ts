import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chunksOf, type ChatChunk, type ChatRequest } from '@scaigrid/plugin-dispatch';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/fakes/fake-openai.js';
import { createOpenAICompatibleDispatcher, openAIHeaders } from '../src/index.js';
import { collectChunks, testCall, upstreamError, type TestCallOptions } from '../../../test/fakes/dispatch-call.js';
import { Agent } from 'undici';

const dispatcher = createOpenAICompatibleDispatcher({ kind: 'openai' });
const text = (t: string) => [{ type: 'text' as const, text: t }];
const hello: ChatRequest = { model: 'gpt-test', messages: [{ role: 'user', content: text('Hello') }] };

let fake: FakeOpenAI;
let agent: Agent;
const call = (options: Partial<TestCallOptions> = {}) => testCall(agent, { baseUrl: fake.url, apiKey: 'sk-test-secret', ...options });

beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: 'sk-test-secret' });
  agent = new Agent({ keepAliveTimeout: 1000 });
});
afterAll(async () => {
  await agent.close();
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

describe('openai dispatcher: chat', () => {
  it('sends the exact request and normalizes the completion', async () => {
    fake.script({ text: 'Hi there!', usage: { prompt_tokens: 9, completion_tokens: 3, cached_tokens: 4, reasoning_tokens: 1 } });
    const response = await dispatcher.chat(
      { ...hello, temperature: 0.2, topP: 0.9, maxTokens: 50, stop: ['END'], seed: 7, user: 'u-1', extra: { reasoning_effort: 'low' } },
      call(),
    );

    expect(response).toEqual({
      id: expect.stringMatching(/^chatcmpl-/),
      model: 'gpt-test',
      message: { role: 'assistant', content: text('Hi there!') },
      finishReason: 'stop',
      usage: { promptTokens: 9, completionTokens: 3, cachedPromptTokens: 4, reasoningTokens: 1 },
    });
    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/chat/completions');
    expect(request.headers.authorization).toBe('Bearer sk-test-secret');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-client-request-id']).toBe('req-test-1');
    expect(request.body).toEqual({
      reasoning_effort: 'low',
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Hello' }],
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 50,
      stop: ['END'],
      seed: 7,
      user: 'u-1',
    });
  });

  it('uses max_tokens when the provider option says so, and a backend option wins', async () => {
    await dispatcher.chat({ ...hello, maxTokens: 10 }, call({ providerOptions: { maxTokensField: 'max_tokens' } }));
    await dispatcher.chat({ ...hello, maxTokens: 10 }, call({ providerOptions: { maxTokensField: 'max_tokens' }, backendOptions: { maxTokensField: 'max_completion_tokens' } }));
    expect(fake.requests[0].body.max_tokens).toBe(10);
    expect(fake.requests[0].body).not.toHaveProperty('max_completion_tokens');
    expect(fake.requests[1].body.max_completion_tokens).toBe(10);
  });

  it('round-trips a tool call: tools and a tool result go up exactly, tool calls come back as JSON strings', async () => {
    fake.script({ toolCalls: [{ id: 'call_2', name: 'get_weather', arguments: { city: 'Bern' } }] });
    const request: ChatRequest = {
      model: 'gpt-test',
      messages: [
        { role: 'system', content: text('You are terse.') },
        { role: 'user', content: [{ type: 'text', text: 'Weather here?' }, { type: 'image', url: 'https://example.com/sky.png', detail: 'low' }] },
        { role: 'assistant', content: [], toolCalls: [{ id: 'call_1', name: 'get_location', arguments: '{}' }] },
        { role: 'tool', toolCallId: 'call_1', content: text('{"city":"Bern"}') },
      ],
      tools: [
        { name: 'get_location', description: 'Where the user is', parameters: { type: 'object', properties: {} } },
        { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true },
      ],
      toolChoice: 'auto',
      responseFormat: { type: 'json_schema', name: 'w', schema: { type: 'object' }, strict: true },
    };
    const response = await dispatcher.chat(request, call());

    expect(fake.requests[0].body).toEqual({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'You are terse.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather here?' },
            { type: 'image_url', image_url: { url: 'https://example.com/sky.png', detail: 'low' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_location', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"city":"Bern"}' },
      ],
      tools: [
        { type: 'function', function: { name: 'get_location', description: 'Where the user is', parameters: { type: 'object', properties: {} } } },
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: true },
        },
      ],
      tool_choice: 'auto',
      response_format: { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' }, strict: true } },
    });
    expect(response.finishReason).toBe('tool_calls');
    expect(response.message.toolCalls).toEqual([{ id: 'call_2', name: 'get_weather', arguments: '{"city":"Bern"}' }]);
  });
});

describe('openai dispatcher: stream', () => {
  it('streams text deltas, the finish reason and usage, asking for include_usage', async () => {
    fake.script({ text: 'One two three four', usage: { prompt_tokens: 11, completion_tokens: 5, cached_tokens: 3 } });
    const chunks = await collectChunks(await dispatcher.chatStream({ ...hello, maxTokens: 20 }, call()));

    expect(fake.requests[0].headers.accept).toBe('text/event-stream');
    expect(fake.requests[0].body).toEqual({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'Hello' }],
      max_completion_tokens: 20,
      stream: true,
      stream_options: { include_usage: true },
    });
    const textChunks = chunks.filter((c) => c.type === 'text');
    expect(textChunks.length).toBe(4);
    expect(textChunks.map((c) => (c as { text: string }).text).join('')).toBe('One two three four');
    expect(chunks.slice(-2)).toEqual([
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: { promptTokens: 11, completionTokens: 5, cachedPromptTokens: 3, reasoningTokens: 0 } },
    ]);
  });

  it('streams tool calls as a start with id and name followed by argument deltas', async () => {
    fake.script({ toolCalls: [{ id: 'call_9', name: 'lookup', arguments: { query: 'a fairly long query string' } }] });
    const chunks = await collectChunks(await dispatcher.chatStream(hello, call()));
    const toolChunks = chunks.filter((c): c is Extract<ChatChunk, { type: 'tool_call' }> => c.type === 'tool_call');
    expect(toolChunks[0]).toEqual({ type: 'tool_call', index: 0, id: 'call_9', name: 'lookup', argumentsDelta: '' });
    expect(toolChunks.length).toBeGreaterThan(2);
    expect(toolChunks.map((c) => c.argumentsDelta).join('')).toBe('{"query":"a fairly long query string"}');
    expect(chunks).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('throws when the upstream drops mid-stream instead of ending quietly', async () => {
    fake.script({ text: 'this answer will be cut short by the upstream', dropAfterChunks: 3 });
    const stream = await dispatcher.chatStream(hello, call());
    const seen: ChatChunk[] = [];
    const err = await upstreamError(
      (async () => {
        for await (const chunk of stream) seen.push(...chunksOf(chunk));
      })(),
    );
    expect(seen.length).toBe(2); // role chunk (no content) + two words
    expect(err.kind).toBe('connect');
    expect(err.message).toContain("openai provider 'p1'");
  });

  it('aborting call.signal mid-stream closes the upstream connection', async () => {
    fake.script({ text: 'a b c d e f g h i j k l m n o p', chunkDelayMs: 50 });
    const controller = new AbortController();
    const stream = await dispatcher.chatStream(hello, call({ signal: controller.signal }));
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    await expect(iterator.next()).rejects.toMatchObject({ name: 'AbortError' });
    const recorded = await fake.waitForAbort(0);
    expect(recorded.aborted).toBe(true);
  });
});

describe('openai dispatcher: failures', () => {
  it('429 is retryable and carries status, upstream message and Retry-After', async () => {
    fake.script({ status: 429, message: 'Rate limit reached for gpt-test', retryAfter: 7 });
    const err = await upstreamError(dispatcher.chat(hello, call()));
    expect(err).toMatchObject({ kind: 'http', status: 429, retryable: true, retryAfter: 7, upstreamMessage: 'Rate limit reached for gpt-test' });
  });

  it('500 is retryable, also for streams before the first byte', async () => {
    fake.script({ status: 500 });
    const err = await upstreamError(dispatcher.chatStream(hello, call()));
    expect(err).toMatchObject({ kind: 'http', status: 500, retryable: true });
    expect(err.upstreamMessage).toContain('The server had an error');
  });

  it('400 is not retryable', async () => {
    fake.script({ status: 400, message: "Invalid value for 'temperature'" });
    const err = await upstreamError(dispatcher.chat(hello, call()));
    expect(err).toMatchObject({ kind: 'http', status: 400, retryable: false, upstreamMessage: "Invalid value for 'temperature'" });
  });

  it('never repeats the API key the upstream echoes back', async () => {
    const err = await upstreamError(dispatcher.chat(hello, call({ apiKey: 'sk-wrong-key-123456' })));
    expect(err.status).toBe(401);
    expect(err.retryable).toBe(false);
    expect(err.message).not.toContain('sk-wrong-key-123456');
    expect(err.upstreamMessage).not.toContain('sk-wrong');
    expect(err.upstreamMessage).toContain('Incorrect API key provided');
  });

  it('a refused connection is a retryable connect error', async () => {
    const err = await upstreamError(dispatcher.chat(hello, call({ baseUrl: 'http://127.0.0.1:1/v1' })));
    expect(err).toMatchObject({ kind: 'connect', retryable: true });
  });

  it('a deadline on call.signal becomes a timeout error and closes the upstream request', async () => {
    fake.script({ hang: true });
    const err = await upstreamError(dispatcher.chat(hello, call({ signal: AbortSignal.timeout(150) })));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });
    await fake.waitForAbort(0);
  });

  it('a client abort before the answer rejects with the abort reason, not an upstream error', async () => {
    fake.script({ hang: true });
    const controller = new AbortController();
    const pending = dispatcher.chat(hello, call({ signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await fake.waitForAbort(0);
  });
});

describe('openai dispatcher: embeddings', () => {
  it('posts to /embeddings and returns vectors in input order', async () => {
    const result = await dispatcher.embeddings!({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], dimensions: 4 }, call());
    expect(fake.requests[0].path).toBe('/v1/embeddings');
    expect(fake.requests[0].body).toEqual({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], encoding_format: 'float', dimensions: 4 });
    expect(result.embeddings).toHaveLength(2);
    expect(result.embeddings[0]).toHaveLength(4);
    expect(result.embeddings[0]).not.toEqual(result.embeddings[1]);
    // The fake counts ceil(chars / 4) per input: alpha → 2, beta → 1.
    expect(result.usage).toEqual({ promptTokens: 3, completionTokens: 0 });
  });
});

describe('createOpenAICompatibleDispatcher hooks', () => {
  it('lets a provider change URL, auth headers and body without copying the mapping', async () => {
    const azureLike = createOpenAICompatibleDispatcher({
      kind: 'azure-like',
      buildUrl: (c, path) => `${c.target.provider.baseUrl}${path}?api-version=2024-10-21`,
      buildHeaders: (c) => {
        const { authorization: _dropped, ...rest } = openAIHeaders(c);
        return { ...rest, 'api-key': c.target.provider.apiKey ?? '', authorization: 'Bearer sk-test-secret' };
      },
      maxTokensField: 'max_tokens',
      mapRequestBody: ({ seed, ...body }) => ({ ...body, random_seed: seed }),
      mapResponse: (response) => ({ ...response, model: `azure/${response.model}` }),
      embeddings: false,
    });
    const response = await azureLike.chat({ ...hello, seed: 3, maxTokens: 5 }, call({ apiKey: 'az-key' }));
    expect(azureLike.embeddings).toBeUndefined();
    expect(response.model).toBe('azure/gpt-test');
    expect(fake.requests[0].path).toBe('/v1/chat/completions?api-version=2024-10-21');
    expect(fake.requests[0].headers['api-key']).toBe('az-key');
    expect(fake.requests[0].body).toEqual({ model: 'gpt-test', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 5, random_seed: 3 });
  });
});
