import { describe, expect, it } from 'vitest';
import { isGatewayError } from '@scaigrid/kernel';
import { toChatRequest, toEmbeddingRequest } from '../src/openai/openai-request-mapping.js';
import { openAIChatRequestSchema, openAIEmbeddingRequestSchema } from '../src/openai/openai-request-schema.js';
import { OpenAIStreamEncoder, toOpenAICompletion, toOpenAIEmbeddingList, toOpenAIModelList } from '../src/openai/openai-response-mapping.js';
import { toOpenAIError } from '../src/openai/openai-errors.js';
import { validateBody } from '../src/request-validation.js';

function parse(body: unknown) {
  return toChatRequest(validateBody(openAIChatRequestSchema, body));
}

function validationParam(body: unknown): unknown {
  try {
    validateBody(openAIChatRequestSchema, body);
  } catch (err) {
    if (isGatewayError(err) && err.code === 'VALIDATION_ERROR') return err.details?.param;
    throw err;
  }
  throw new Error('expected a validation error');
}

describe('OpenAI request → internal model', () => {
  it('maps roles, content parts, tool calls and tool results', () => {
    const request = parse({
      model: 'gpt-x',
      messages: [
        { role: 'developer', content: 'be brief' },
        { role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'https://x/img.png', detail: 'low' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{"q":"img"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
      ],
    });
    expect(request.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'be brief' }] },
      { role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image', url: 'https://x/img.png', detail: 'low' }] },
      { role: 'assistant', content: [], toolCalls: [{ id: 'call_1', name: 'look', arguments: '{"q":"img"}' }] },
      { role: 'tool', content: [{ type: 'text', text: 'a cat' }], toolCallId: 'call_1' },
    ]);
  });

  it('maps tools, tool_choice, response_format, stop, limits and passthrough fields', () => {
    const request = parse({
      model: 'gpt-x',
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      stop: 'END',
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      user: 'u-1',
      max_tokens: 10,
      max_completion_tokens: 20,
      presence_penalty: 0.5,
      n: 1,
      stream: null,
    });
    expect(request).toEqual({
      model: 'gpt-x',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      tools: [{ name: 'get_weather', description: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      toolChoice: { name: 'get_weather' },
      responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true },
      stop: ['END'],
      temperature: 0.2,
      topP: 0.9,
      seed: 7,
      user: 'u-1',
      maxTokens: 20,
      extra: { presence_penalty: 0.5 },
    });
  });

  it('passes on the passthrough fields a body has, falsy ones included, and no extra when it has none', () => {
    const request = parse({ model: 'm', messages: [{ role: 'user', content: 'hi' }], store: false, logprobs: null, metadata: { team: 'a' } });
    expect(request.extra).toEqual({ store: false, metadata: { team: 'a' } });
    expect(parse({ model: 'm', messages: [{ role: 'user', content: 'hi' }], logprobs: null })).not.toHaveProperty('extra');
  });

  it('names the offending parameter', () => {
    expect(validationParam({ messages: [{ role: 'user', content: 'x' }] })).toBe('model');
    expect(validationParam({ model: 'm', messages: [{ role: 'user', content: 5 }] })).toBe('messages[0].content');
    expect(validationParam({ model: 'm', messages: [{ role: 'user', content: 'x' }], n: 2 })).toBe('n');
    expect(validationParam({ model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' })).toBe('temperature');
    expect(validationParam({ model: 'm', messages: [{ role: 'wizard', content: 'x' }] })).toBe('messages[0].role');
    expect(validationParam({ model: 'm', messages: [{ role: 'tool', content: 'x' }] })).toBe('messages[0].tool_call_id');
    expect(validationParam({ model: 'm', messages: [] })).toBe('messages');
  });

  it('maps embeddings input and accepts only float or base64 encoding', () => {
    expect(toEmbeddingRequest(validateBody(openAIEmbeddingRequestSchema, { model: 'e', input: 'one', dimensions: 8 }))).toEqual({ model: 'e', input: ['one'], dimensions: 8 });
    expect(() => validateBody(openAIEmbeddingRequestSchema, { model: 'e', input: ['a'], encoding_format: 'int8' })).toThrow(/encoding_format/);
  });

  it('encodes base64 embeddings as little-endian float32', () => {
    const list = toOpenAIEmbeddingList({ model: 'u', embeddings: [[0.5, -2]] }, 'e', { promptTokens: 1, completionTokens: 0 }, 'base64');
    const bytes = Buffer.from(list.data[0]!.embedding as string, 'base64');
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual([0.5, -2]);
  });
});

describe('internal model → OpenAI response', () => {
  const identity = { id: 'chatcmpl-1', created: 1700000000, model: 'front' };

  it('builds a chat.completion with tool calls and usage', () => {
    const completion = toOpenAICompletion(
      { model: 'upstream', finishReason: 'tool_calls', message: { role: 'assistant', content: [], toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] } },
      identity,
      { promptTokens: 3, completionTokens: 4 },
    );
    expect(completion).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1700000000,
      model: 'front',
      choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }, logprobs: null, finish_reason: 'tool_calls' }],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      system_fingerprint: null,
    });
  });

  it('encodeJson gives the same text as JSON.stringify(encode(...)), for any content and model', () => {
    const texts = ['Hel', 'say "hi"\n\t\\', 'ünïcødé ✓ 𝄞', '"delta":{"content":""}', '\u2028\u0000', ' '];
    const models = ['front', 'a "quoted" \\ model', '"delta":{"content":""'];
    for (const model of models) {
      for (const includeUsage of [true, false]) {
        const encoder = new OpenAIStreamEncoder({ ...identity, model }, includeUsage);
        for (const text of texts) {
          const json = encoder.encodeJson({ type: 'text', text });
          expect(json).toBe(JSON.stringify(encoder.encode({ type: 'text', text })));
          expect(JSON.parse(json!).choices[0].delta.content).toBe(text);
        }
        expect(encoder.encodeJson({ type: 'text', text: '' })).toBeUndefined();
        const call = { type: 'tool_call', index: 0, id: 'c1', name: 'f', argumentsDelta: '{}' } as const;
        expect(encoder.encodeJson(call)).toBe(JSON.stringify(encoder.encode(call)));
        expect(encoder.encodeJson({ type: 'finish', finishReason: 'stop' })).toBeUndefined();
      }
    }
  });

  it('encodes a stream in OpenAI order: role, deltas, finish, usage', () => {
    const encoder = new OpenAIStreamEncoder(identity, true);
    const out = [
      encoder.start(),
      encoder.encode({ type: 'text', text: 'Hel' }),
      encoder.encode({ type: 'tool_call', index: 0, id: 'c1', name: 'f', argumentsDelta: '' }),
      encoder.encode({ type: 'tool_call', index: 0, argumentsDelta: '{"a":1}' }),
      encoder.encode({ type: 'usage', usage: { promptTokens: 1, completionTokens: 2 } }),
      encoder.encode({ type: 'finish', finishReason: 'tool_calls' }),
      ...encoder.finish({ promptTokens: 1, completionTokens: 2 }),
    ].filter((c) => c !== undefined);
    expect(out.map((c) => c!.choices[0]?.delta ?? null)).toEqual([
      { role: 'assistant', content: '', refusal: null },
      { content: 'Hel' },
      { tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] },
      {},
      null,
    ]);
    expect(out[4]!.choices[0]!.finish_reason).toBe('tool_calls');
    expect(out[5]).toMatchObject({ object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } });
    expect(out.every((c) => c!.id === 'chatcmpl-1' && c!.model === 'front')).toBe(true);
  });

  it('omits the usage chunk unless asked', () => {
    const encoder = new OpenAIStreamEncoder(identity, false);
    const tail = encoder.finish({ promptTokens: 1, completionTokens: 1 });
    expect(tail).toHaveLength(1);
    expect(tail[0]).not.toHaveProperty('usage');
  });

  it('lists models in OpenAI shape', () => {
    expect(toOpenAIModelList([{ slug: 'a', kind: 'chat', createdAt: 1700000000123 }])).toEqual({
      object: 'list',
      data: [{ id: 'a', object: 'model', created: 1700000000, owned_by: 'scaigrid' }],
    });
  });
});

describe('native error → OpenAI error', () => {
  it.each([
    ['VALIDATION_ERROR', 400, 400, 'invalid_request_error', null],
    ['UNAUTHENTICATED', 401, 401, 'invalid_request_error', 'invalid_api_key'],
    ['FORBIDDEN', 403, 403, 'invalid_request_error', 'permission_denied'],
    ['MODEL_NOT_FOUND', 404, 404, 'invalid_request_error', 'model_not_found'],
    ['RATE_LIMITED', 429, 429, 'requests', 'rate_limit_exceeded'],
    ['BUDGET_EXCEEDED', 402, 429, 'insufficient_quota', 'insufficient_quota'],
    ['UPSTREAM_UNAVAILABLE', 503, 503, 'server_error', 'service_unavailable'],
    ['INTERNAL', 500, 500, 'server_error', null],
  ])('%s', (code, nativeStatus, status, type, errorCode) => {
    const out = toOpenAIError({ code, status: nativeStatus, message: 'm', details: code === 'VALIDATION_ERROR' ? { param: 'model' } : undefined });
    expect(out).toEqual({ status, body: { error: { message: 'm', type, param: code === 'VALIDATION_ERROR' ? 'model' : null, code: errorCode } } });
  });
});
