/**
 * dispatch-google inside the real kernel: registered as the `google` kind, reached through
 * `dispatch.service` (a retryable Gemini 429/500 fails over to the next backend), and through
 * the gateway's `/oai/v1` (auth → routing → inference → dispatch → Gemini), where upstream
 * failures come back in OpenAI's error shape. Upstreams are fake Gemini servers
 * (test/fakes/fake-google.ts, Gemini API reference — "models.generateContent",
 * "models.streamGenerateContent", error shape `{error:{code,message,status}}`).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import authModule from '@scaigrid/plugin-auth';
import dispatchModule, { dispatchServiceRef, dispatcherRegistryRef, type DispatchService } from '@scaigrid/plugin-dispatch';
import inferenceModule from '@scaigrid/plugin-inference';
import routingModule from '@scaigrid/plugin-routing';
import { startFakeGoogle, type FakeGoogle } from '../../../test/fakes/fake-google.js';
import { collect, collectChunks } from '../../../test/fakes/dispatch-call.js';
import dispatchGoogle from '../src/index.js';

type Route = Parameters<DispatchService['chat']>[0];
type RouteBackend = Route['backends'][number];

const MEMBER_KEY = 'sgk_googleGatewayMemberKey000000000000000000';
process.env.GOOGLE_GATEWAY_TEST_MEMBER_KEY = MEMBER_KEY;
process.env.GOOGLE_GATEWAY_TEST_UPSTREAM_KEY = 'g-primary-key';
process.env.GOOGLE_GATEWAY_TEST_SPARE_KEY = 'g-spare-key';

const backend = (id: string, providerId: string, priority: number): RouteBackend => ({
  id,
  providerId,
  upstreamModel: 'gemini-2.5-flash',
  priority,
  weight: 1,
  inputPricePerMillion: 0,
  outputPricePerMillion: 0,
  inputMicrosPerMillion: 0,
  outputMicrosPerMillion: 0,
  options: {},
});
const failoverRoute: Route = { slug: 'gemini-failover', policy: 'priority', currency: 'USD', kind: 'chat', metadata: {}, backends: [backend('b1', 'gem', 0), backend('b2', 'gem-spare', 1)] };
const hi = { model: 'gemini-failover', messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Hi' }] }] };

let primary: FakeGoogle;
let spare: FakeGoogle;
let t: TestKernel;

beforeAll(async () => {
  primary = await startFakeGoogle({ apiKey: 'g-primary-key' });
  spare = await startFakeGoogle({ apiKey: 'g-spare-key' });
  t = await startTestKernel({
    modules: [authModule, routingModule, dispatchModule, inferenceModule, dispatchGoogle],
    config: {
      auth: {
        bootstrap: { enabled: false },
        seed: { tenants: [{ slug: 'acme' }], keys: [{ name: 'member', tenant: 'acme', roles: ['member'], secretEnv: 'GOOGLE_GATEWAY_TEST_MEMBER_KEY' }] },
      },
      dispatch: {
        // A high threshold: these tests fail the primary on purpose and must not open its breaker.
        breaker: { failureThreshold: 100, cooldownMs: 1000 },
        providers: [
          { id: 'gem', kind: 'google', baseUrl: primary.url, apiKeyEnv: 'GOOGLE_GATEWAY_TEST_UPSTREAM_KEY', timeoutMs: 5000 },
          // No baseUrl: the dispatch-google section's default applies.
          { id: 'gem-spare', kind: 'google', apiKeyEnv: 'GOOGLE_GATEWAY_TEST_SPARE_KEY', timeoutMs: 5000 },
        ],
      },
      'dispatch-google': { baseUrl: spare.url, apiVersion: 'v1beta' },
      routing: {
        models: [
          { slug: 'gemini', backends: [{ providerId: 'gem', upstreamModel: 'gemini-2.5-flash' }] },
          { slug: 'gemini-embed', kind: 'embedding', backends: [{ providerId: 'gem', upstreamModel: 'text-embedding-004' }] },
        ],
      },
    },
  });
});
afterAll(async () => {
  await t?.stop();
  await primary?.close();
  await spare?.close();
});
beforeEach(() => {
  primary.requests.length = 0;
  spare.requests.length = 0;
});

describe('dispatch-google as a module: dispatch.service', () => {
  it('registers the google kind and reaches the upstream with the provider key from env', async () => {
    const ctx = t.context('dispatch-google');
    expect(ctx.use(dispatcherRegistryRef).kinds()).toContain('google');
    primary.script({ text: 'Hello through the kernel' });
    const served = await ctx.use(dispatchServiceRef).chat(failoverRoute, hi, { signal: new AbortController().signal, requestId: 'req-g-1' });
    expect(served.response.message.content).toEqual([{ type: 'text', text: 'Hello through the kernel' }]);
    expect(served.providerKind).toBe('google');
    expect(primary.requests[0].path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(primary.requests[0].headers['x-goog-api-key']).toBe('g-primary-key');
  });

  it.each([429, 500, 503])('an upstream %i is a retryable UpstreamError: the next backend answers, whole and streamed', async (status) => {
    const service = t.context('dispatch-google').use(dispatchServiceRef);
    primary.script({ status });
    spare.script({ text: `after ${status}` });
    const served = await service.chat(failoverRoute, hi, { signal: new AbortController().signal, requestId: `req-g-${status}` });
    expect(served.response.message.content).toEqual([{ type: 'text', text: `after ${status}` }]);
    expect(primary.requests).toHaveLength(1);
    expect(spare.requests[0].headers['x-goog-api-key']).toBe('g-spare-key');

    primary.script({ status });
    spare.script({ text: 'streamed after failure' });
    const stream = await service.chatStream(failoverRoute, hi, { signal: new AbortController().signal, requestId: `req-gs-${status}` });
    const chunks = await collectChunks(stream.chunks);
    expect(chunks.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('')).toBe('streamed after failure');
    expect(spare.requests.at(-1)!.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
  });

  it('a 400 INVALID_ARGUMENT does not fail over', async () => {
    primary.script({ status: 400, message: 'Invalid value at generation_config.top_p' });
    const err = await t
      .context('dispatch-google')
      .use(dispatchServiceRef)
      .chat(failoverRoute, hi, { signal: new AbortController().signal, requestId: 'req-g-400' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(spare.requests).toHaveLength(0);
  });
});

describe('dispatch-google behind /oai/v1', () => {
  const chat = (body: unknown) =>
    t.fetch('/oai/v1/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${MEMBER_KEY}` }, body: body as Record<string, unknown> });

  it('answers a completion in OpenAI shape with Gemini usage', async () => {
    primary.script({ text: 'Bonjour.', usage: { promptTokenCount: 7, candidatesTokenCount: 2, thoughtsTokenCount: 4 } });
    const res = await chat({ model: 'gemini', messages: [{ role: 'system', content: 'French.' }, { role: 'user', content: 'Hello' }], max_tokens: 20 });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'Bonjour.' }, finish_reason: 'stop' });
    expect(body.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 6, total_tokens: 13 });
    expect(primary.requests[0].body).toEqual({
      systemInstruction: { parts: [{ text: 'French.' }] },
      contents: [{ role: 'user', parts: [{ text: 'Hello' }] }],
      generationConfig: { maxOutputTokens: 20 },
    });
  });

  it.each([
    [429, 502, 'server_error'],
    [500, 502, 'server_error'],
    [400, 400, 'invalid_request_error'],
  ])('an upstream %i becomes HTTP %i in OpenAI error shape', async (upstreamStatus, status, type) => {
    primary.script({ status: upstreamStatus });
    const res = await chat({ model: 'gemini', messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(status);
    const { error } = await res.json();
    expect(error).toMatchObject({ type });
    expect(typeof error.message).toBe('string');
    expect(error.message).not.toContain('g-primary-key');
  });

  it('an upstream 503 before a stream starts is an OpenAI error, not an empty stream', async () => {
    primary.script({ status: 503 });
    const res = await chat({ model: 'gemini', messages: [{ role: 'user', content: 'x' }], stream: true });
    expect(res.status).toBe(502);
    expect((await res.json()).error).toMatchObject({ type: 'server_error', code: 'upstream_error' });
  });

  it('a safety block is a content_filter answer, whole and streamed', async () => {
    primary.script({ blockReason: 'SAFETY' }, { text: 'partial', finishReason: 'PROHIBITED_CONTENT' });
    const whole = await (await chat({ model: 'gemini', messages: [{ role: 'user', content: 'something bad' }] })).json();
    expect(whole.choices[0]).toMatchObject({ finish_reason: 'content_filter', message: { role: 'assistant', content: '' } });

    const streamed = await (await chat({ model: 'gemini', messages: [{ role: 'user', content: 'something bad' }], stream: true })).text();
    const events = streamed.split('\n\n').filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]').map((e) => JSON.parse(e.slice(6)));
    expect(events.map((e) => e.choices[0]?.finish_reason).filter(Boolean)).toEqual(['content_filter']);
    expect(streamed.trim().endsWith('data: [DONE]')).toBe(true);
  });

  it('creates embeddings through batchEmbedContents', async () => {
    const res = await t.fetch('/oai/v1/embeddings', {
      method: 'POST',
      headers: { authorization: `Bearer ${MEMBER_KEY}` },
      body: { model: 'gemini-embed', input: ['alpha', 'beta'], dimensions: 3, encoding_format: 'float' },
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.data.map((d: { embedding: number[] }) => d.embedding.length)).toEqual([3, 3]);
    expect(primary.requests[0].path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
  });
});
