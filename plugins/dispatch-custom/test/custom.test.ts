/**
 * dispatch-custom against loopback OpenAI-compatible servers (test/fakes/fake-custom.ts):
 * the wire format of the OpenAI API reference ("Create chat completion", "The chat completion
 * chunk object", "Create embeddings") as vLLM's OpenAI-compatible server serves it ("vLLM —
 * OpenAI-Compatible Server"), behind the auth header, scheme and paths each test chooses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeCustom } from '../../../test/fakes/fake-custom.js';
import type { FakeOpenAI } from '../../../test/fakes/fake-openai.js';
import { expectToolRoundTrip, expectUpstreamFailuresNormalized, sseChunks, startProviderGateway, type ProviderGateway } from '../../../test/fakes/provider-gateway.js';
import customModule from '../src/index.js';

const KEY_ENV = 'SG_TEST_CUSTOM_KEY';
let apiKeyServer: FakeOpenAI;
let tokenServer: FakeOpenAI;
let openServer: FakeOpenAI;
let gw: ProviderGateway;

beforeAll(async () => {
  process.env[KEY_ENV] = 'vllm-key-42';
  apiKeyServer = await startFakeCustom({ auth: { header: 'x-api-key', value: 'vllm-key-42' } });
  tokenServer = await startFakeCustom({ auth: { header: 'authorization', value: 'Token vllm-key-42' }, chatPath: '/api/chat', embeddingsPath: '/api/embed' });
  openServer = await startFakeCustom();
  gw = await startProviderGateway({
    modules: [customModule],
    providers: [
      { id: 'vllm', kind: 'custom', baseUrl: `${apiKeyServer.url}/v1`, apiKeyEnv: KEY_ENV, timeoutMs: 5000, options: { authHeader: 'X-API-Key', authScheme: '', headers: { 'X-Tenant': 'research' } } },
      { id: 'django', kind: 'custom', baseUrl: tokenServer.url, apiKeyEnv: KEY_ENV, options: { authScheme: 'Token', chatPath: '/api/chat', embeddingsPath: '/api/embed' } },
      { id: 'local', kind: 'custom', baseUrl: `${openServer.url}/v1` },
    ],
    models: [
      { slug: 'llama', backends: [{ providerId: 'vllm', upstreamModel: 'meta-llama/Llama-3.1-8B-Instruct' }] },
      { slug: 'django-chat', backends: [{ providerId: 'django', upstreamModel: 'house-model' }] },
      { slug: 'local-chat', backends: [{ providerId: 'local', upstreamModel: 'qwen2.5-7b' }] },
      { slug: 'django-embed', kind: 'embedding', backends: [{ providerId: 'django', upstreamModel: 'bge-m3' }] },
    ],
  });
});
afterAll(async () => {
  await gw?.stop();
  await Promise.all([apiKeyServer, tokenServer, openServer].map((s) => s?.close()));
});

describe('custom OpenAI-compatible servers', () => {
  it('non-stream with X-API-Key (bare key), extra headers and max_tokens', async () => {
    apiKeyServer.script({ text: 'vLLM says hi', usage: { prompt_tokens: 3, completion_tokens: 3 } });
    const res = await gw.chat({ model: 'llama', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 16, seed: 1 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ choices: [{ message: { content: 'vLLM says hi' } }], usage: { total_tokens: 6 } });
    const sent = apiKeyServer.requests.at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers['x-api-key']).toBe('vllm-key-42');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.headers['x-tenant']).toBe('research');
    expect(sent.body).toEqual({ model: 'meta-llama/Llama-3.1-8B-Instruct', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 16, seed: 1 });
  });

  it('Authorization: Token <key> and path overrides, for chat and embeddings', async () => {
    tokenServer.script({ text: 'ok' });
    expect((await gw.chat({ model: 'django-chat', messages: [{ role: 'user', content: 'Hi' }] })).status).toBe(200);
    expect(tokenServer.requests.at(-1)!).toMatchObject({ path: '/api/chat', headers: { authorization: 'Token vllm-key-42' } });

    const res = await gw.embeddings({ model: 'django-embed', input: ['a'] });
    expect(res.status).toBe(200);
    expect(tokenServer.requests.at(-1)!).toMatchObject({ path: '/api/embed', headers: { authorization: 'Token vllm-key-42' }, body: { model: 'bge-m3', input: ['a'], encoding_format: 'float' } });
  });

  it('no key configured: no auth header at all', async () => {
    openServer.script({ text: 'open' });
    expect((await gw.chat({ model: 'local-chat', messages: [{ role: 'user', content: 'Hi' }] })).status).toBe(200);
    const headers = openServer.requests.at(-1)!.headers;
    expect(headers.authorization).toBeUndefined();
    expect(headers['x-api-key']).toBeUndefined();
  });

  it('streams with usage', async () => {
    apiKeyServer.script({ text: 'alpha beta gamma', usage: { prompt_tokens: 2, completion_tokens: 3 } });
    const chunks = await sseChunks(await gw.chat({ model: 'llama', messages: [{ role: 'user', content: 'x' }], stream: true, stream_options: { include_usage: true } }));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('alpha beta gamma');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 2, completion_tokens: 3 } });
    expect(apiKeyServer.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('round-trips a tool call', async () => {
    await expectToolRoundTrip(gw, apiKeyServer, 'llama', 'chatcmpl-tool-1');
    expect(apiKeyServer.requests.at(-1)!.headers['x-api-key']).toBe('vllm-key-42');
  });

  it('normalizes upstream 429 and 500', async () => {
    const call = gw.call({ kind: 'custom', baseUrl: `${apiKeyServer.url}/v1`, apiKey: 'vllm-key-42', providerOptions: { authHeader: 'X-API-Key', authScheme: '' } });
    await expectUpstreamFailuresNormalized({ gw, fake: apiKeyServer, kind: 'custom', slug: 'llama', call });
  });
});
