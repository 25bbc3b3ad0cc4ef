import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import authModule from '@scaigrid/plugin-auth';
import dispatchModule, { dispatchServiceRef, dispatcherRegistryRef, type DispatchService } from '@scaigrid/plugin-dispatch';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/fakes/fake-openai.js';
import { collect, collectChunks } from '../../../test/fakes/dispatch-call.js';
import dispatchOpenAI from '../src/index.js';

type Route = Parameters<DispatchService['chat']>[0];

const route: Route = {
  slug: 'gpt-slug',
  policy: 'priority',
  currency: 'USD',
  kind: 'chat',
  metadata: {},
  backends: [
    {
      id: 'b1',
      providerId: 'oai',
      upstreamModel: 'gpt-upstream',
      priority: 0,
      weight: 1,
      inputPricePerMillion: 0,
      outputPricePerMillion: 0,
      inputMicrosPerMillion: 0,
      outputMicrosPerMillion: 0,
      options: {},
    },
  ],
};

describe('dispatch-openai as a module', () => {
  let fake: FakeOpenAI;
  let t: TestKernel;

  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-from-env' });
    process.env.TEST_DISPATCH_OPENAI_KEY = 'sk-from-env';
    t = await startTestKernel({
      modules: [authModule, dispatchModule, dispatchOpenAI],
      config: {
        dispatch: { providers: [{ id: 'oai', kind: 'openai', baseUrl: fake.url, apiKeyEnv: 'TEST_DISPATCH_OPENAI_KEY' }] },
        'dispatch-openai': { maxTokensField: 'max_tokens' },
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
    delete process.env.TEST_DISPATCH_OPENAI_KEY;
  });

  it('registers the openai kind, and dispatch.service reaches the upstream through it', async () => {
    const ctx = t.context('dispatch-openai');
    expect(ctx.use(dispatcherRegistryRef).kinds()).toContain('openai');

    const service = ctx.use(dispatchServiceRef);
    const request = { model: 'gpt-slug', messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Hi' }] }], maxTokens: 12 };
    fake.script({ text: 'Hello through the kernel' });
    const served = await service.chat(route, request, { signal: new AbortController().signal, requestId: 'req-mod-1' });
    expect(served.response.message.content).toEqual([{ type: 'text', text: 'Hello through the kernel' }]);
    expect(served.providerKind).toBe('openai');

    const upstream = fake.requests.at(-1)!;
    expect(upstream.headers.authorization).toBe('Bearer sk-from-env');
    expect(upstream.headers['x-client-request-id']).toBe('req-mod-1');
    expect(upstream.body).toEqual({ model: 'gpt-upstream', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 12 });

    fake.script({ text: 'streamed reply' });
    const stream = await service.chatStream(route, request, { signal: new AbortController().signal, requestId: 'req-mod-2' });
    const chunks = await collectChunks(stream.chunks);
    expect(chunks.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('')).toBe('streamed reply');
    expect(chunks.some((c) => c.type === 'usage')).toBe(true);
  });
});
