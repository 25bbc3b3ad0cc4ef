/**
 * dispatch-mistral against a loopback Mistral API (test/fakes/fake-mistral.ts), written from
 * "Mistral AI API — Chat: Chat Completion" (fields it forbids, `random_seed`, `tool_choice:
 * any`, usage on the last stream chunk), "Function calling" (9-character tool-call ids) and
 * "Embeddings: Embeddings" (`mistral-embed`, `output_dimension`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeMistral } from '../../../test/fakes/fake-mistral.js';
import type { FakeOpenAI } from '../../../test/fakes/fake-openai.js';
import { expectUpstreamFailuresNormalized, sseChunks, startProviderGateway, type ProviderGateway } from '../../../test/fakes/provider-gateway.js';
import { createOpenAICompatibleDispatcher } from '@scaigrid/plugin-dispatch-openai';
import mistralModule, { toMistralToolCallId, withMistralFinishChunks } from '../src/index.js';

const KEY_ENV = 'SG_TEST_MISTRAL_KEY';
let fake: FakeOpenAI;
let gw: ProviderGateway;
const call = () => gw.call({ kind: 'mistral', baseUrl: fake.url, apiKey: process.env[KEY_ENV], model: 'mistral-small-latest' });

beforeAll(async () => {
  process.env[KEY_ENV] = 'mistral-key-abcdef';
  fake = await startFakeMistral({ apiKey: process.env[KEY_ENV] });
  gw = await startProviderGateway({
    modules: [mistralModule],
    providers: [{ id: 'mistral', kind: 'mistral', baseUrl: fake.url, apiKeyEnv: KEY_ENV, timeoutMs: 5000 }],
    models: [
      { slug: 'mistral-small', backends: [{ providerId: 'mistral', upstreamModel: 'mistral-small-latest' }] },
      { slug: 'mistral-embed', kind: 'embedding', backends: [{ providerId: 'mistral', upstreamModel: 'mistral-embed' }] },
    ],
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

describe('Mistral through /oai/v1', () => {
  it('non-stream: renames and drops what Mistral rejects (seed, max_completion_tokens, user)', async () => {
    fake.script({ text: 'Bonjour', usage: { prompt_tokens: 7, completion_tokens: 2 } });
    const res = await gw.chat({
      model: 'mistral-small',
      messages: [{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'Hi', name: 'ada' }],
      seed: 42,
      max_completion_tokens: 64,
      user: 'end-user-1',
      temperature: 0.3,
      stop: ['END'],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ choices: [{ message: { content: 'Bonjour' }, finish_reason: 'stop' }], usage: { prompt_tokens: 7, completion_tokens: 2 } });
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer mistral-key-abcdef');
    expect(sent.body).toEqual({
      model: 'mistral-small-latest',
      messages: [{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'Hi' }],
      temperature: 0.3,
      max_tokens: 64,
      stop: ['END'],
      random_seed: 42,
    });
  });

  it('streams with usage from the last chunk, without sending stream_options', async () => {
    fake.script({ text: 'un deux trois', usage: { prompt_tokens: 4, completion_tokens: 3 } });
    const chunks = await sseChunks(await gw.chat({ model: 'mistral-small', messages: [{ role: 'user', content: 'count' }], stream: true, stream_options: { include_usage: true } }));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('un deux trois');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 } });
    const sent = fake.requests.at(-1)!.body;
    expect(sent.stream).toBe(true);
    expect(sent).not.toHaveProperty('stream_options');
  });

  it('round-trips a tool call: Mistral ids pass unchanged, foreign ids become the same 9 characters in call and result', async () => {
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    fake.script({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Lyon' } }] });
    const first = await (await gw.chat({ model: 'mistral-small', messages: [{ role: 'user', content: 'Weather?' }], tools, tool_choice: 'required' })).json();
    const mistralId: string = first.choices[0].message.tool_calls[0].id;
    expect(mistralId).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(first.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { tool_calls: [{ function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } }] } });
    expect(fake.requests.at(-1)!.body.tool_choice).toBe('any');

    fake.script({ text: 'Sunny in Lyon, cloudy in Oslo.' });
    const foreignCall = { id: 'call_Xy7openaiStyleId', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } };
    const res = await gw.chat({
      model: 'mistral-small',
      tools,
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [first.choices[0].message.tool_calls[0], foreignCall] },
        { role: 'tool', tool_call_id: mistralId, content: '{"sky":"sunny"}' },
        { role: 'tool', tool_call_id: foreignCall.id, content: '{"sky":"cloudy"}' },
      ],
    });
    expect(res.status).toBe(200);
    expect((await res.json()).choices[0].message.content).toBe('Sunny in Lyon, cloudy in Oslo.');
    const mapped = toMistralToolCallId(foreignCall.id);
    expect(mapped).toMatch(/^[a-zA-Z0-9]{9}$/);
    expect(fake.requests.at(-1)!.body.messages.slice(1)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: mistralId, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } }, { ...foreignCall, id: mapped }] },
      { role: 'tool', tool_call_id: mistralId, content: '{"sky":"sunny"}' },
      { role: 'tool', tool_call_id: mapped, content: '{"sky":"cloudy"}' },
    ]);
  });

  it('streams a tool call', async () => {
    fake.script({ toolCalls: [{ name: 'lookup', arguments: { q: 'mistral' } }] });
    const chunks = await sseChunks(await gw.chat({ model: 'mistral-small', messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }], stream: true }));
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^[a-zA-Z0-9]{9}$/), function: { name: 'lookup' } });
    expect(deltas.map((d: { function: { arguments: string } }) => d.function.arguments).join('')).toBe('{"q":"mistral"}');
  });

  it("maps Mistral's own finish reasons (model_length → length, error → error)", async () => {
    fake.script({ text: 'cut', finishReason: 'model_length' });
    expect((await (await gw.chat({ model: 'mistral-small', messages: [{ role: 'user', content: 'x' }] })).json()).choices[0].finish_reason).toBe('length');
    const raw = { choices: [{ finish_reason: 'error' }] };
    expect(withMistralFinishChunks([{ type: 'finish', finishReason: 'stop' }], raw)).toEqual([{ type: 'finish', finishReason: 'error' }]);
  });

  it('embeddings with mistral-embed: dimensions as output_dimension, no user', async () => {
    const res = await gw.embeddings({ model: 'mistral-embed', input: ['un', 'deux'], dimensions: 5, user: 'u1' });
    expect(res.status).toBe(200);
    expect((await res.json()).data).toHaveLength(2);
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe('/v1/embeddings');
    expect(sent.body).toEqual({ model: 'mistral-embed', input: ['un', 'deux'], encoding_format: 'float', output_dimension: 5 });
  });

  it('the fake enforces Mistral\'s schema: an unadapted OpenAI body is rejected (422 extra_forbidden, 400 tool-call id)', async () => {
    const plain = createOpenAICompatibleDispatcher({ kind: 'openai' });
    const ask = { model: 'm', messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'x' }] }] };
    await expect(plain.chatStream(ask, call())).rejects.toMatchObject({ status: 422, retryable: false });
    const foreign = [{ role: 'assistant' as const, content: [], toolCalls: [{ id: 'call_1', name: 'f', arguments: '{}' }] }, { role: 'tool' as const, content: [], toolCallId: 'call_1' }];
    await expect(plain.chat({ ...ask, messages: [...ask.messages, ...foreign] }, call())).rejects.toMatchObject({ status: 400, upstreamMessage: expect.stringContaining('Tool call id was call_1') });
    await expect(gw.dispatcher('mistral').chat({ ...ask, messages: [...ask.messages, ...foreign] }, call())).resolves.toMatchObject({ finishReason: 'stop' });
  });

  it('normalizes upstream 429 and 500 (Mistral error shapes)', async () => {
    await expectUpstreamFailuresNormalized({ gw, fake, kind: 'mistral', slug: 'mistral-small', call: call() });
  });
});
