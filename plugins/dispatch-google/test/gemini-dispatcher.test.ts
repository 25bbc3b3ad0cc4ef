/**
 * The `google` dispatcher against a fake Gemini API (test/fakes/fake-google.ts) written from
 * the Gemini API reference; each test names the section whose behaviour it checks.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { chunksOf, type ChatChunk, type ChatRequest } from '@scaigrid/plugin-dispatch';
import { startFakeGoogle, type FakeGoogle } from '../../../test/fakes/fake-google.js';
import { collectChunks, testCall, upstreamError, type TestCallOptions } from '../../../test/fakes/dispatch-call.js';
import { createGeminiDispatcher } from '../src/index.js';

const dispatcher = createGeminiDispatcher({ baseUrl: 'https://generativelanguage.googleapis.com', apiVersion: 'v1beta' });
const text = (t: string) => [{ type: 'text' as const, text: t }];
const hello: ChatRequest = { model: 'gemini-test', messages: [{ role: 'system', content: text('Be brief.') }, { role: 'user', content: text('Hello') }] };
const weatherTool = {
  name: 'get_weather',
  description: 'Current weather',
  parameters: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', additionalProperties: false, properties: { city: { type: 'string' } }, required: ['city'] },
};

let fake: FakeGoogle;
let agent: Agent;
const call = (options: Partial<TestCallOptions> = {}) => testCall(agent, { kind: 'google', baseUrl: fake.url, apiKey: 'g-test-key', model: 'gemini-test', ...options });

beforeAll(async () => {
  fake = await startFakeGoogle({ apiKey: 'g-test-key' });
  agent = new Agent({ keepAliveTimeout: 1000 });
});
afterAll(async () => {
  await agent.close();
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

const toolChunks = (chunks: ChatChunk[]) => chunks.filter((c): c is Extract<ChatChunk, { type: 'tool_call' }> => c.type === 'tool_call');
const joined = (chunks: ChatChunk[], type: 'text' | 'reasoning') =>
  chunks
    .filter((c) => c.type === type)
    .map((c) => (c as { text: string }).text)
    .join('');

describe('Gemini API reference — models.generateContent', () => {
  it('sends the exact request (path, x-goog-api-key, systemInstruction, generationConfig) and normalizes the answer', async () => {
    fake.script({ text: 'Hi!', usage: { promptTokenCount: 12, candidatesTokenCount: 3, cachedContentTokenCount: 8 } });
    const response = await dispatcher.chat({ ...hello, temperature: 0.1, topP: 0.9, maxTokens: 50, stop: ['END'], seed: 7 }, call());

    expect(response).toEqual({
      id: expect.any(String),
      model: 'gemini-test',
      message: { role: 'assistant', content: text('Hi!') },
      finishReason: 'stop',
      usage: { promptTokens: 12, completionTokens: 3, cachedPromptTokens: 8 },
    });
    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1beta/models/gemini-test:generateContent');
    expect(request.headers['x-goog-api-key']).toBe('g-test-key');
    expect(request.headers.authorization).toBeUndefined();
    expect(request.body).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Hello' }] }],
      generationConfig: { temperature: 0.1, topP: 0.9, maxOutputTokens: 50, stopSequences: ['END'], seed: 7 },
    });
  });

  it('maps images (data: URL inline, others as fileData), json_schema response formats and thought parts', async () => {
    fake.script({ thought: 'Looking at the picture.', text: '{"animal":"cat"}', usage: { promptTokenCount: 5, candidatesTokenCount: 4, thoughtsTokenCount: 6 } });
    const response = await dispatcher.chat(
      {
        model: 'gemini-test',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What animal?' },
              { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=' },
              { type: 'image', url: 'https://example.com/cat.webp' },
            ],
          },
        ],
        responseFormat: { type: 'json_schema', name: 'animal', schema: { type: 'object', additionalProperties: false, properties: { animal: { type: ['string', 'null'] } } } },
      },
      call(),
    );
    expect(fake.requests[0].body).toEqual({
      contents: [
        {
          role: 'user',
          parts: [
            { text: 'What animal?' },
            { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
            { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp' } },
          ],
        },
      ],
      generationConfig: { responseMimeType: 'application/json', responseSchema: { type: 'object', properties: { animal: { type: 'string', nullable: true } } } },
    });
    expect(response.message.content).toEqual([
      { type: 'reasoning', text: 'Looking at the picture.' },
      { type: 'text', text: '{"animal":"cat"}' },
    ]);
    expect(response.usage).toEqual({ promptTokens: 5, completionTokens: 10, reasoningTokens: 6 });
  });

  it('a blocked prompt (promptFeedback.blockReason, no candidates) is an empty content_filter answer', async () => {
    fake.script({ blockReason: 'SAFETY' });
    const response = await dispatcher.chat(hello, call());
    expect(response.finishReason).toBe('content_filter');
    expect(response.message).toEqual({ role: 'assistant', content: [] });
    expect(response.usage?.completionTokens).toBe(0);
  });

  it.each([
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['PROHIBITED_CONTENT', 'content_filter'],
    ['SPII', 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', 'error'],
  ])('finishReason %s → %s', async (reason, expected) => {
    fake.script({ text: 'partial', finishReason: reason });
    expect((await dispatcher.chat(hello, call())).finishReason).toBe(expected);
  });
});

describe('Gemini API reference — Function calling', () => {
  it('round-trips a tool call: functionCall/functionResponse parts go up exactly, the call comes back with a stable id', async () => {
    fake.script({ text: 'Let me look.', functionCalls: [{ name: 'get_weather', args: { city: 'Bern', days: 2 } }] });
    const first = await dispatcher.chat({ model: 'gemini-test', messages: [{ role: 'user', content: text('Weather in Bern?') }], tools: [weatherTool], toolChoice: 'auto' }, call());
    expect(first.finishReason).toBe('tool_calls');
    expect(first.message.content).toEqual(text('Let me look.'));
    const [toolCall] = first.message.toolCalls!;
    expect(toolCall).toEqual({ id: expect.stringMatching(/^call_gemini_[0-9a-f]{24}$/), name: 'get_weather', arguments: '{"city":"Bern","days":2}' });
    // The unsupported JSON Schema keywords were stripped (the fake, like the API, rejects them).
    expect(fake.requests[0].body.tools).toEqual([
      { functionDeclarations: [{ name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] },
    ]);
    expect(fake.requests[0].body.toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });

    fake.script({ text: 'Sunny, 21 degrees.' });
    const second = await dispatcher.chat(
      {
        model: 'gemini-test',
        messages: [
          { role: 'user', content: text('Weather in Bern?') },
          { role: 'assistant', content: text('Let me look.'), toolCalls: [toolCall] },
          { role: 'tool', toolCallId: toolCall.id, content: text('{"sky":"sunny","celsius":21}') },
          { role: 'tool', toolCallId: 'call_from_elsewhere', name: 'get_time', content: text('noon') },
        ],
        tools: [weatherTool],
        toolChoice: { name: 'get_weather' },
      },
      call(),
    );
    expect(second.message.content).toEqual(text('Sunny, 21 degrees.'));
    expect(fake.requests[1].body.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Bern?' }] },
      { role: 'model', parts: [{ text: 'Let me look.' }, { functionCall: { name: 'get_weather', args: { city: 'Bern', days: 2 } } }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { sky: 'sunny', celsius: 21 } } },
          // Not a synthesized id, so it goes up as the call id; a non-object result goes under `output`.
          { functionResponse: { name: 'get_time', response: { output: 'noon' }, id: 'call_from_elsewhere' } },
        ],
      },
    ]);
    expect(fake.requests[1].body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
  });

  it('keeps ids Gemini does send and synthesizes distinct ones for the rest', async () => {
    fake.script({ functionCalls: [{ id: 'fc-upstream-1', name: 'a', args: {} }, { name: 'b', args: { x: 1 } }] });
    const response = await dispatcher.chat({ ...hello, tools: [weatherTool] }, call());
    expect(response.message.toolCalls!.map((c) => c.id)).toEqual(['fc-upstream-1', expect.stringMatching(/^call_gemini_/)]);
    expect(new Set(response.message.toolCalls!.map((c) => c.id)).size).toBe(2);
  });

  it('tool_choice none and required map to NONE and ANY', async () => {
    await dispatcher.chat({ ...hello, tools: [weatherTool], toolChoice: 'none' }, call());
    await dispatcher.chat({ ...hello, tools: [weatherTool], toolChoice: 'required' }, call());
    expect(fake.requests.map((r) => r.body.toolConfig.functionCallingConfig.mode)).toEqual(['NONE', 'ANY']);
  });

  it('a tool result whose call is unknown fails with VALIDATION_ERROR before any upstream request', async () => {
    const request: ChatRequest = { model: 'g', messages: [{ role: 'tool', toolCallId: 'nope', content: text('x') }] };
    await expect(dispatcher.chat(request, call())).rejects.toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'messages[0].tool_call_id' } });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('Gemini API reference — models.streamGenerateContent', () => {
  it('posts to :streamGenerateContent?alt=sse and streams thoughts, text deltas, finish and usage from the last event', async () => {
    fake.script({ thought: 'Short answer.', text: 'One two three', usage: { promptTokenCount: 40, candidatesTokenCount: 9, thoughtsTokenCount: 3 } });
    const chunks = await collectChunks(await dispatcher.chatStream(hello, call()));
    const [request] = fake.requests;
    expect(request.path).toBe('/v1beta/models/gemini-test:streamGenerateContent?alt=sse');
    expect(request.headers['x-goog-api-key']).toBe('g-test-key');
    expect(request.headers.accept).toBe('text/event-stream');
    expect(request.body).toEqual({ systemInstruction: { parts: [{ text: 'Be brief.' }] }, contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] });
    expect(joined(chunks, 'reasoning')).toBe('Short answer.');
    expect(chunks.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text)).toEqual(['One ', 'two ', 'three']);
    expect(chunks.slice(-2)).toEqual([
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: { promptTokens: 40, completionTokens: 12, reasoningTokens: 3 } },
    ]);
  });

  it('streams function calls as complete tool_call chunks numbered from 0, finishing with tool_calls', async () => {
    fake.script({ text: 'Checking.', functionCalls: [{ name: 'lookup', args: { query: 'q1' } }, { name: 'lookup', args: { query: 'q2' } }] });
    const chunks = await collectChunks(await dispatcher.chatStream({ ...hello, tools: [weatherTool] }, call()));
    const tools = toolChunks(chunks);
    expect(tools).toEqual([
      { type: 'tool_call', index: 0, id: expect.stringMatching(/^call_gemini_/), name: 'lookup', argumentsDelta: '{"query":"q1"}' },
      { type: 'tool_call', index: 1, id: expect.stringMatching(/^call_gemini_/), name: 'lookup', argumentsDelta: '{"query":"q2"}' },
    ]);
    expect(tools[0].id).not.toBe(tools[1].id);
    expect(chunks).toContainEqual({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('a blocked prompt streams a content_filter finish', async () => {
    fake.script({ blockReason: 'PROHIBITED_CONTENT' });
    const chunks = await collectChunks(await dispatcher.chatStream(hello, call()));
    expect(chunks[0]).toEqual({ type: 'finish', finishReason: 'content_filter' });
    expect(chunks.filter((c) => c.type === 'text')).toEqual([]);
  });

  it('a stream cut before the finishReason throws instead of ending quietly', async () => {
    fake.script({ text: 'this will be cut short', dropAfterChunks: 2 });
    const seen: ChatChunk[] = [];
    const err = await upstreamError(
      (async () => {
        for await (const chunk of await dispatcher.chatStream(hello, call())) seen.push(...chunksOf(chunk));
      })(),
    );
    expect(joined(seen, 'text')).toBe('this will ');
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

describe('Gemini API reference — errors', () => {
  it('429 RESOURCE_EXHAUSTED is retryable and keeps the upstream message', async () => {
    fake.script({ status: 429 });
    const err = await upstreamError(dispatcher.chat(hello, call()));
    expect(err).toMatchObject({ kind: 'http', status: 429, retryable: true, upstreamMessage: 'You exceeded your current quota, please check your plan and billing details.' });
  });

  it('500 INTERNAL and 503 UNAVAILABLE are retryable, also before a stream starts', async () => {
    fake.script({ status: 503 }, { status: 500 });
    expect(await upstreamError(dispatcher.chatStream(hello, call()))).toMatchObject({ status: 503, retryable: true, upstreamMessage: 'The model is overloaded. Please try again later.' });
    expect(await upstreamError(dispatcher.chat(hello, call()))).toMatchObject({ status: 500, retryable: true });
  });

  it('400 INVALID_ARGUMENT is not retryable, a wrong key is a 401, and the key never shows in the message', async () => {
    fake.script({ status: 400, message: 'Invalid value at generation_config.temperature' });
    expect(await upstreamError(dispatcher.chat(hello, call()))).toMatchObject({ status: 400, retryable: false, upstreamMessage: 'Invalid value at generation_config.temperature' });
    const err = await upstreamError(dispatcher.chat(hello, call({ apiKey: 'wrong-key-123' })));
    // Gemini says 400 INVALID_ARGUMENT for a bad key; it is reported as the credentials problem it is.
    expect(err).toMatchObject({ status: 401, retryable: false, upstreamMessage: 'API key not valid. Please pass a valid API key.' });
    expect(err.message).not.toContain('wrong-key-123');
  });

  it('a timeout on call.signal is a retryable timeout error', async () => {
    fake.script({ hang: true });
    expect(await upstreamError(dispatcher.chat(hello, call({ signal: AbortSignal.timeout(150) })))).toMatchObject({ kind: 'timeout', retryable: true });
    await fake.waitForAbort(0);
  });
});

describe('Gemini API reference — models.batchEmbedContents', () => {
  it('sends one request per input with the full model name and outputDimensionality, and returns the values in order', async () => {
    const result = await dispatcher.embeddings!({ model: 'text-embedding-004', input: ['alpha', 'beta'], dimensions: 4 }, call({ model: 'text-embedding-004', providerOptions: { embeddingTaskType: 'RETRIEVAL_DOCUMENT' } }));
    const [request] = fake.requests;
    expect(request.path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
    expect(request.headers['x-goog-api-key']).toBe('g-test-key');
    expect(request.body).toEqual({
      requests: ['alpha', 'beta'].map((t) => ({ model: 'models/text-embedding-004', content: { parts: [{ text: t }] }, outputDimensionality: 4, taskType: 'RETRIEVAL_DOCUMENT' })),
    });
    expect(result.embeddings).toHaveLength(2);
    expect(result.embeddings.every((v) => v.length === 4)).toBe(true);
    expect(result.embeddings[0]).not.toEqual(result.embeddings[1]);
  });
});

describe('URLs and options', () => {
  it('uses the configured default base URL and version, a versioned base URL as is, and the apiVersion option', async () => {
    const { geminiUrl } = await import('../src/index.js');
    const defaults = { baseUrl: 'https://generativelanguage.googleapis.com', apiVersion: 'v1beta' };
    expect(geminiUrl(call({ baseUrl: '' }), 'generateContent', defaults)).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-test:generateContent');
    expect(geminiUrl(call({ baseUrl: 'https://proxy.example/gemini/v1beta/' }), 'streamGenerateContent', defaults)).toBe(
      'https://proxy.example/gemini/v1beta/models/gemini-test:streamGenerateContent?alt=sse',
    );
    expect(geminiUrl(call({ baseUrl: 'https://x.example', model: 'tunedModels/mine', backendOptions: { apiVersion: 'v1' } }), 'generateContent', defaults)).toBe(
      'https://x.example/v1/tunedModels/mine:generateContent',
    );
  });

  it('rawJsonSchema sends parametersJsonSchema untouched; safetySettings and extra headers come from options', async () => {
    const safetySettings = [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }];
    await dispatcher.chat({ ...hello, tools: [weatherTool] }, call({ providerOptions: { rawJsonSchema: true, safetySettings, headers: { 'X-Route': 'eu' } } }));
    const [request] = fake.requests;
    expect(request.body.tools[0].functionDeclarations[0].parametersJsonSchema).toEqual(weatherTool.parameters);
    expect(request.body.safetySettings).toEqual(safetySettings);
    expect(request.headers['x-route']).toBe('eu');
  });
});
