/**
 * dispatch-qwen against a loopback DashScope in OpenAI-compatible mode
 * (test/fakes/fake-qwen.ts), written from "Alibaba Cloud Model Studio — OpenAI compatible —
 * Chat" (`/compatible-mode/v1/chat/completions`, region base URLs, `max_tokens`,
 * `stream_options.include_usage`), "— Embedding" and "Deep thinking" (`enable_thinking`,
 * `thinking_budget`, `reasoning_content` in message and deltas).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectChunks } from '../../../test/fakes/dispatch-call.js';
import type { FakeOpenAI } from '../../../test/fakes/fake-openai.js';
import { startFakeQwen } from '../../../test/fakes/fake-qwen.js';
import { expectToolRoundTrip, expectUpstreamFailuresNormalized, sseChunks, startProviderGateway, type ProviderGateway } from '../../../test/fakes/provider-gateway.js';
import qwenModule, { qwenBaseUrl } from '../src/index.js';

const KEY_ENV = 'SG_TEST_QWEN_KEY';
let fake: FakeOpenAI;
let gw: ProviderGateway;
const ask = (text: string) => ({ model: 'qwen-plus', messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text }] }] });

beforeAll(async () => {
  process.env[KEY_ENV] = 'sk-dashscope-123456';
  fake = await startFakeQwen({ apiKey: process.env[KEY_ENV] });
  gw = await startProviderGateway({
    modules: [qwenModule],
    providers: [{ id: 'qwen', kind: 'qwen', baseUrl: fake.url, apiKeyEnv: KEY_ENV, timeoutMs: 5000 }],
    models: [
      { slug: 'qwen-plus', backends: [{ providerId: 'qwen', upstreamModel: 'qwen-plus' }] },
      { slug: 'qwen3-thinking', backends: [{ providerId: 'qwen', upstreamModel: 'qwen3-235b-a22b', options: { enableThinking: true, thinkingBudget: 512 } }] },
      { slug: 'qwen-embed', kind: 'embedding', backends: [{ providerId: 'qwen', upstreamModel: 'text-embedding-v4' }] },
    ],
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

describe('Qwen (DashScope compatible mode)', () => {
  it('picks the region endpoint when the provider has no baseUrl', () => {
    const at = (options: Record<string, unknown>, baseUrl = '') => qwenBaseUrl(gw.call({ kind: 'qwen', baseUrl, providerOptions: options }), 'intl');
    expect(at({})).toBe('https://dashscope-intl.aliyuncs.com/compatible-mode/v1');
    expect(at({ region: 'cn' })).toBe('https://dashscope.aliyuncs.com/compatible-mode/v1');
    expect(at({ region: 'us' })).toBe('https://dashscope-us.aliyuncs.com/compatible-mode/v1');
    expect(at({ region: 'cn' }, 'http://proxy.local/compatible-mode/v1')).toBe('http://proxy.local/compatible-mode/v1');
  });

  it('non-stream: path, Bearer key and body (max_tokens, no thinking switch unless configured)', async () => {
    fake.script({ text: '你好', usage: { prompt_tokens: 6, completion_tokens: 1 } });
    const res = await gw.chat({ model: 'qwen-plus', messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 20, top_p: 0.8 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ choices: [{ message: { content: '你好' }, finish_reason: 'stop' }], usage: { prompt_tokens: 6, completion_tokens: 1 } });
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe('/compatible-mode/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-dashscope-123456');
    expect(sent.body).toEqual({ model: 'qwen-plus', messages: [{ role: 'user', content: 'Hi' }], top_p: 0.8, max_tokens: 20 });
  });

  it('streams reasoning then text, with usage, when thinking is enabled by the backend', async () => {
    fake.script({ reasoning: 'The user greets me.', text: 'Hello there', usage: { prompt_tokens: 9, completion_tokens: 12, reasoning_tokens: 5 } });
    const chunks = await sseChunks(await gw.chat({ model: 'qwen3-thinking', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } }));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello there');
    expect(chunks.at(-1)).toMatchObject({ usage: { prompt_tokens: 9, completion_tokens: 12, completion_tokens_details: { reasoning_tokens: 5 } } });
    expect(fake.requests.at(-1)!.body).toMatchObject({ model: 'qwen3-235b-a22b', stream: true, stream_options: { include_usage: true }, enable_thinking: true, thinking_budget: 512 });

    fake.script({ reasoning: 'Think step by step.', text: 'Done' });
    const normalized = await collectChunks(await gw.dispatcher('qwen').chatStream(ask('Hi'), gw.call({ kind: 'qwen', baseUrl: fake.url, apiKey: process.env[KEY_ENV], backendOptions: { enableThinking: true } })));
    const reasoning = normalized.filter((c) => c.type === 'reasoning').map((c) => (c as { text: string }).text).join('');
    expect(reasoning).toBe('Think step by step.');
    expect(normalized.findIndex((c) => c.type === 'reasoning')).toBeLessThan(normalized.findIndex((c) => c.type === 'text'));
    expect(normalized.some((c) => c.type === 'usage')).toBe(true);
  });

  it('returns reasoning_content as a reasoning block in a whole answer; the request may switch thinking itself', async () => {
    fake.script({ reasoning: 'Short thought.', text: 'Answer' });
    const call = gw.call({ kind: 'qwen', baseUrl: fake.url, apiKey: process.env[KEY_ENV], providerOptions: { enableThinking: false } });
    const response = await gw.dispatcher('qwen').chat({ ...ask('Hi'), extra: { enable_thinking: true } }, call);
    expect(response.message.content).toEqual([{ type: 'reasoning', text: 'Short thought.' }, { type: 'text', text: 'Answer' }]);
    expect(fake.requests.at(-1)!.body.enable_thinking).toBe(true);

    fake.script({ reasoning: 'Not asked for.', text: 'Plain' });
    const plain = await gw.dispatcher('qwen').chat(ask('Hi'), call);
    expect(plain.message.content).toEqual([{ type: 'text', text: 'Plain' }]);
    expect(fake.requests.at(-1)!.body.enable_thinking).toBe(false);
  });

  it('round-trips a tool call', async () => {
    await expectToolRoundTrip(gw, fake, 'qwen-plus', 'call_q1');
    expect(fake.requests.at(-1)!.path).toBe('/compatible-mode/v1/chat/completions');
  });

  it('embeddings at /compatible-mode/v1/embeddings', async () => {
    const res = await gw.embeddings({ model: 'qwen-embed', input: 'hello', dimensions: 6 });
    expect(res.status).toBe(200);
    expect((await res.json()).data[0].embedding).toHaveLength(6);
    expect(fake.requests.at(-1)!).toMatchObject({ path: '/compatible-mode/v1/embeddings', body: { model: 'text-embedding-v4', input: ['hello'], dimensions: 6, encoding_format: 'float' } });
  });

  it('normalizes upstream 429 and 500 (DashScope error envelope)', async () => {
    await expectUpstreamFailuresNormalized({ gw, fake, kind: 'qwen', slug: 'qwen-plus', call: gw.call({ kind: 'qwen', baseUrl: fake.url, apiKey: process.env[KEY_ENV] }) });
  });
});
