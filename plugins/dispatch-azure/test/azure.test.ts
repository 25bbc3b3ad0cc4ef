/**
 * dispatch-azure against a loopback Azure OpenAI (test/fakes/fake-azure.ts), written from
 * "Azure OpenAI in Azure AI Foundry Models REST API reference — Chat completions" and
 * "— Embeddings" (deployment path, `api-version`, `api-key` / Entra ID bearer), and
 * "Content filtering — Response annotations" (`prompt_filter_results`,
 * `content_filter_results`, `finish_reason: content_filter`, the prompt filter's 400).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AZURE_BLOCKED_PROMPT, azureFilterResults, startFakeAzure } from '../../../test/fakes/fake-azure.js';
import { collectChunks } from '../../../test/fakes/dispatch-call.js';
import type { FakeOpenAI } from '../../../test/fakes/fake-openai.js';
import { expectToolRoundTrip, expectUpstreamFailuresNormalized, sseChunks, startProviderGateway, type ProviderGateway } from '../../../test/fakes/provider-gateway.js';
import azureModule, { withAzureFilterFinish } from '../src/index.js';

const KEY_ENV = 'SG_TEST_AZURE_KEY';
const TOKEN_ENV = 'SG_TEST_AZURE_ENTRA_TOKEN';
let fake: FakeOpenAI;
let gw: ProviderGateway;

beforeAll(async () => {
  process.env[KEY_ENV] = 'az-key-0123456789';
  process.env[TOKEN_ENV] = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra';
  fake = await startFakeAzure({ apiKey: process.env[KEY_ENV], bearerToken: process.env[TOKEN_ENV], deployments: ['gpt4o-prod', 'embed-prod', 'gpt-4o-mini'] });
  gw = await startProviderGateway({
    modules: [azureModule],
    providers: [
      { id: 'az', kind: 'azure', baseUrl: fake.url, apiKeyEnv: KEY_ENV, timeoutMs: 5000 },
      { id: 'az-entra', kind: 'azure', baseUrl: fake.url, apiKeyEnv: TOKEN_ENV, options: { auth: 'entra', apiVersion: '2025-04-01-preview' } },
    ],
    models: [
      { slug: 'gpt-4o', backends: [{ providerId: 'az', upstreamModel: 'gpt-4o', options: { deployment: 'gpt4o-prod' } }] },
      { slug: 'gpt-4o-entra', backends: [{ providerId: 'az-entra', upstreamModel: 'gpt-4o-mini' }] },
      { slug: 'embed', kind: 'embedding', backends: [{ providerId: 'az', upstreamModel: 'text-embedding-3-small', options: { deployment: 'embed-prod', apiVersion: '2024-06-01' } }] },
    ],
  });
});
afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

describe('Azure OpenAI through /oai/v1', () => {
  it('non-stream: deployment path, api-version, api-key header and body as Azure expects', async () => {
    fake.script({ text: 'Hello from Azure', usage: { prompt_tokens: 12, completion_tokens: 4 } });
    const res = await gw.chat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 30, temperature: 0.1 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ choices: [{ message: { content: 'Hello from Azure' }, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 4 } });

    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe('/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21');
    expect(sent.headers['api-key']).toBe('az-key-0123456789');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 30, temperature: 0.1 });
  });

  it('an Entra ID token goes as Bearer (option auth: entra), with the provider api-version and the upstream model as deployment', async () => {
    fake.script({ text: 'via Entra' });
    const res = await gw.chat({ model: 'gpt-4o-entra', messages: [{ role: 'user', content: 'Hi' }] });
    expect(res.status).toBe(200);
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe('/openai/deployments/gpt-4o-mini/chat/completions?api-version=2025-04-01-preview');
    expect(sent.headers.authorization).toBe(`Bearer ${process.env[TOKEN_ENV]}`);
    expect(sent.headers['api-key']).toBeUndefined();
  });

  it('streams with usage (stream_options.include_usage) past the prompt_filter_results prelude', async () => {
    fake.script({ text: 'one two three', usage: { prompt_tokens: 5, completion_tokens: 3 } });
    const chunks = await sseChunks(await gw.chat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'count' }], stream: true, stream_options: { include_usage: true } }));
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('one two three');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } });
    const sent = fake.requests.at(-1)!;
    expect(sent.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(sent.headers.accept).toBe('text/event-stream');
  });

  it('round-trips a tool call', async () => {
    const sent = await expectToolRoundTrip(gw, fake, 'gpt-4o', 'call_az1', { tool_choice: 'required' });
    expect(sent.tool_choice).toBe('required');
    expect(fake.requests.at(-1)!.path).toBe('/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21');
  });

  it('maps a filtered completion to finish_reason content_filter, whole and streamed', async () => {
    fake.script({ text: 'partial', finishReason: 'content_filter' });
    const whole = await (await gw.chat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).json();
    expect(whole.choices[0].finish_reason).toBe('content_filter');

    fake.script({ text: 'partial answer', finishReason: 'content_filter' });
    const chunks = await sseChunks(await gw.chat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], stream: true }));
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['content_filter']);
  });

  it('reads filtered:true in the annotations even when finish_reason says stop', () => {
    const response = { model: 'gpt-4o', message: { role: 'assistant' as const, content: [] }, finishReason: 'stop' as const };
    expect(withAzureFilterFinish(response, { choices: [{ content_filter_results: azureFilterResults() }] }).finishReason).toBe('stop');
    expect(withAzureFilterFinish(response, { choices: [{ content_filter_results: azureFilterResults('sexual') }] }).finishReason).toBe('content_filter');
    expect(withAzureFilterFinish(response, { prompt_filter_results: [{ content_filter_results: azureFilterResults('hate') }], choices: [] }).finishReason).toBe('content_filter');
  });

  it("passes on Azure's prompt-filter 400 (its error shape) as a 400 with Azure's message", async () => {
    const res = await gw.chat({ model: 'gpt-4o', messages: [{ role: 'user', content: AZURE_BLOCKED_PROMPT }] });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining("Azure OpenAI's content management policy") });
  });

  it('embeddings go to the embeddings deployment with the backend api-version', async () => {
    const res = await gw.embeddings({ model: 'embed', input: ['alpha', 'beta'], dimensions: 4 });
    expect(res.status).toBe(200);
    expect((await res.json()).data.map((d: { embedding: number[] }) => d.embedding.length)).toEqual([4, 4]);
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe('/openai/deployments/embed-prod/embeddings?api-version=2024-06-01');
    expect(sent.body).toEqual({ model: 'text-embedding-3-small', input: ['alpha', 'beta'], encoding_format: 'float', dimensions: 4 });
  });

  it('a wrong key is refused by Azure and never shown to the client', async () => {
    const call = gw.call({ kind: 'azure', baseUrl: fake.url, apiKey: 'wrong-key-123', backendOptions: { deployment: 'gpt4o-prod' } });
    const err = await gw.dispatcher('azure').chat({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] }, call).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 401, retryable: false, upstreamMessage: expect.stringContaining('Access denied') });
  });

  it('normalizes upstream 429 and 500 (Azure error envelope)', async () => {
    await expectUpstreamFailuresNormalized({
      gw,
      fake,
      kind: 'azure',
      slug: 'gpt-4o',
      call: gw.call({ kind: 'azure', baseUrl: fake.url, apiKey: process.env[KEY_ENV], backendOptions: { deployment: 'gpt4o-prod' } }),
    });
    expect(fake.requests.at(-1)!.path).toMatch(/^\/openai\/deployments\/gpt4o-prod\/chat\/completions\?api-version=/);
  });

  it('streams through the dispatcher with usage chunks', async () => {
    fake.script({ text: 'direct stream', usage: { prompt_tokens: 2, completion_tokens: 2 } });
    const call = gw.call({ kind: 'azure', baseUrl: fake.url, apiKey: process.env[KEY_ENV], backendOptions: { deployment: 'gpt4o-prod' } });
    const chunks = await collectChunks(await gw.dispatcher('azure').chatStream({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }] }, call));
    expect(chunks.filter((c) => c.type === 'usage')).toEqual([{ type: 'usage', usage: { promptTokens: 2, completionTokens: 2, cachedPromptTokens: 0, reasoningTokens: 0 } }]);
  });
});
