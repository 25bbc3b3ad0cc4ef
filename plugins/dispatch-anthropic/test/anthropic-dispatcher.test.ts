import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { chunksOf, type ChatChunk, type ChatRequest } from '@scaigrid/plugin-dispatch';
import { startFakeAnthropic, type FakeAnthropic } from '../../../test/fakes/fake-anthropic.js';
import { collectChunks, testCall, upstreamError, type TestCallOptions } from '../../../test/fakes/dispatch-call.js';
import { createAnthropicDispatcher } from '../src/index.js';

const dispatcher = createAnthropicDispatcher({ defaultMaxTokens: 4096, anthropicVersion: '2023-06-01' });
const text = (t: string) => [{ type: 'text' as const, text: t }];
const hello: ChatRequest = { model: 'claude-test', messages: [{ role: 'system', content: text('Be brief.') }, { role: 'user', content: text('Hello') }] };

let fake: FakeAnthropic;
let agent: Agent;
const call = (options: Partial<TestCallOptions> = {}) =>
  testCall(agent, { kind: 'anthropic', baseUrl: fake.url, apiKey: 'ant-test-key', model: 'claude-test', ...options });

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: 'ant-test-key' });
  agent = new Agent({ keepAliveTimeout: 1000 });
});
afterAll(async () => {
  await agent.close();
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

describe('anthropic dispatcher: chat', () => {
  it('sends the exact request (path, x-api-key, anthropic-version, body) and normalizes the message', async () => {
    fake.script({ text: 'Hi!', usage: { input_tokens: 12, output_tokens: 3, cache_read_input_tokens: 8 } });
    const response = await dispatcher.chat({ ...hello, temperature: 0.1, stop: ['END'] }, call());

    expect(response).toEqual({
      id: expect.stringMatching(/^msg_01/),
      model: 'claude-test',
      message: { role: 'assistant', content: text('Hi!') },
      finishReason: 'stop',
      usage: { promptTokens: 20, completionTokens: 3, cachedPromptTokens: 8 },
    });
    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/messages');
    expect(request.headers['x-api-key']).toBe('ant-test-key');
    expect(request.headers['anthropic-version']).toBe('2023-06-01');
    expect(request.headers.authorization).toBeUndefined();
    expect(request.body).toEqual({
      model: 'claude-test',
      max_tokens: 4096,
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      stop_sequences: ['END'],
      temperature: 0.1,
    });
  });

  it('takes anthropic-version, beta, headers and max_tokens from provider and backend options', async () => {
    await dispatcher.chat(hello, call({ providerOptions: { anthropicVersion: '2024-01-01', beta: ['a-1', 'b-2'], headers: { 'X-Route': 'eu' }, maxTokens: 99 }, backendOptions: { maxTokens: 77 } }));
    const [request] = fake.requests;
    expect(request.headers['anthropic-version']).toBe('2024-01-01');
    expect(request.headers['anthropic-beta']).toBe('a-1,b-2');
    expect(request.headers['x-route']).toBe('eu');
    expect(request.body.max_tokens).toBe(77);
  });

  it('round-trips a tool call: tool_use and tool_result blocks go up exactly, tool_use comes back as a JSON-string call', async () => {
    fake.script({ toolCalls: [{ id: 'toolu_02', name: 'get_weather', input: { city: 'Bern', days: 2 } }], text: 'Let me look.' });
    const response = await dispatcher.chat(
      {
        model: 'claude-test',
        messages: [
          { role: 'user', content: text('Weather?') },
          { role: 'assistant', content: [], toolCalls: [{ id: 'toolu_01', name: 'get_location', arguments: '{"precise":true}' }] },
          { role: 'tool', toolCallId: 'toolu_01', content: text('Bern') },
        ],
        tools: [
          { name: 'get_location', description: 'Where the user is', parameters: { type: 'object', properties: { precise: { type: 'boolean' } } } },
          { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
        ],
        toolChoice: { name: 'get_weather' },
        maxTokens: 300,
      },
      call(),
    );
    expect(fake.requests[0].body).toEqual({
      model: 'claude-test',
      max_tokens: 300,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01', name: 'get_location', input: { precise: true } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01', content: 'Bern' }] },
      ],
      tools: [
        { name: 'get_location', description: 'Where the user is', input_schema: { type: 'object', properties: { precise: { type: 'boolean' } } } },
        { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
      ],
      tool_choice: { type: 'tool', name: 'get_weather' },
    });
    expect(response.finishReason).toBe('tool_calls');
    expect(response.message.content).toEqual(text('Let me look.'));
    expect(response.message.toolCalls).toEqual([{ id: 'toolu_02', name: 'get_weather', arguments: '{"city":"Bern","days":2}' }]);
  });

  it('a stop sequence maps to finish reason stop', async () => {
    fake.script({ text: 'up to', stopSequence: '##' });
    expect((await dispatcher.chat(hello, call())).finishReason).toBe('stop');
  });
});

describe('anthropic dispatcher: stream', () => {
  it('streams text, thinking, the finish reason and usage from message_start + message_delta', async () => {
    fake.script({ thinking: 'Short answer.', text: 'One two three', usage: { input_tokens: 40, output_tokens: 9 } });
    const chunks = await collectChunks(await dispatcher.chatStream(hello, call()));
    expect(fake.requests[0].body.stream).toBe(true);
    expect(fake.requests[0].headers.accept).toBe('text/event-stream');
    expect(chunks.filter((c) => c.type === 'reasoning').map((c) => (c as { text: string }).text).join('')).toBe('Short answer.');
    const texts = chunks.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text);
    expect(texts).toEqual(['One ', 'two ', 'three']);
    expect(chunks.slice(-2)).toEqual([
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: { promptTokens: 40, completionTokens: 9, cachedPromptTokens: 0 } },
    ]);
  });

  it('streams a tool call as start + input_json deltas numbered from 0', async () => {
    fake.script({ text: 'Checking.', toolCalls: [{ id: 'toolu_9', name: 'lookup', input: { query: 'a long enough query' } }] });
    const chunks = await collectChunks(await dispatcher.chatStream(hello, call()));
    const tools = chunks.filter((c): c is Extract<ChatChunk, { type: 'tool_call' }> => c.type === 'tool_call');
    expect(tools[0]).toEqual({ type: 'tool_call', index: 0, id: 'toolu_9', name: 'lookup', argumentsDelta: '' });
    expect(tools.every((c) => c.index === 0)).toBe(true);
    expect(JSON.parse(tools.map((c) => c.argumentsDelta).join(''))).toEqual({ query: 'a long enough query' });
    expect(chunks).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('an error event mid-stream throws a retryable overloaded error', async () => {
    fake.script({ text: 'partial answer here', streamError: { afterChunks: 4, type: 'overloaded_error', message: 'Overloaded' } });
    const stream = await dispatcher.chatStream(hello, call());
    const err = await upstreamError(collectChunks(stream));
    expect(err).toMatchObject({ kind: 'http', status: 529, retryable: true, upstreamMessage: 'Overloaded' });
  });

  it('a connection dropped mid-stream makes the iterator throw', async () => {
    fake.script({ text: 'this will be cut short', dropAfterChunks: 4 });
    const stream = await dispatcher.chatStream(hello, call());
    const seen: ChatChunk[] = [];
    const err = await upstreamError(
      (async () => {
        for await (const chunk of stream) seen.push(...chunksOf(chunk));
      })(),
    );
    expect(seen).toEqual([{ type: 'text', text: 'this ' }]);
    expect(err.kind).toBe('connect');
  });

  it('aborting call.signal closes the upstream connection', async () => {
    fake.script({ text: 'a b c d e f g h i j k l m n', chunkDelayMs: 50 });
    const controller = new AbortController();
    const iterator = (await dispatcher.chatStream(hello, call({ signal: controller.signal })))[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: 'text', text: 'a ' });
    controller.abort();
    await expect(iterator.next()).rejects.toMatchObject({ name: 'AbortError' });
    await fake.waitForAbort(0);
  });
});

describe('anthropic dispatcher: failures', () => {
  it('429 is retryable with Retry-After and the upstream message', async () => {
    fake.script({ status: 429, retryAfter: 12, message: 'Number of request tokens has exceeded your per-minute rate limit' });
    const err = await upstreamError(dispatcher.chat(hello, call()));
    expect(err).toMatchObject({ kind: 'http', status: 429, retryable: true, retryAfter: 12, upstreamMessage: 'Number of request tokens has exceeded your per-minute rate limit' });
  });

  it('529 overloaded and 500 are retryable, also before a stream starts', async () => {
    fake.script({ status: 529 }, { status: 500 });
    expect(await upstreamError(dispatcher.chatStream(hello, call()))).toMatchObject({ status: 529, retryable: true, upstreamMessage: 'Overloaded' });
    expect(await upstreamError(dispatcher.chat(hello, call()))).toMatchObject({ status: 500, retryable: true });
  });

  it('400 and 401 are not retryable', async () => {
    fake.script({ status: 400, message: 'messages: roles must alternate' });
    expect(await upstreamError(dispatcher.chat(hello, call()))).toMatchObject({ status: 400, retryable: false, upstreamMessage: 'messages: roles must alternate' });
    expect(await upstreamError(dispatcher.chat(hello, call({ apiKey: 'wrong' })))).toMatchObject({ status: 401, retryable: false });
  });

  it('invalid tool-call JSON fails before any upstream request', async () => {
    const request: ChatRequest = { model: 'c', messages: [{ role: 'assistant', content: [], toolCalls: [{ id: 't', name: 'f', arguments: '{' }] }] };
    await expect(dispatcher.chat(request, call())).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(fake.requests).toHaveLength(0);
  });

  it('a timeout on call.signal is a retryable timeout error', async () => {
    fake.script({ hang: true });
    expect(await upstreamError(dispatcher.chat(hello, call({ signal: AbortSignal.timeout(150) })))).toMatchObject({ kind: 'timeout', retryable: true });
    await fake.waitForAbort(0);
  });
});
