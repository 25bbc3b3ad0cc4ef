import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import authModule from '@scaigrid/plugin-auth';
import dispatchModule, { dispatchServiceRef, dispatcherRegistryRef, type DispatchService } from '@scaigrid/plugin-dispatch';
import { startFakeAnthropic, type FakeAnthropic } from '../../../test/fakes/fake-anthropic.js';
import { collect, collectChunks } from '../../../test/fakes/dispatch-call.js';
import dispatchAnthropic from '../src/index.js';

type Route = Parameters<DispatchService['chat']>[0];

const route: Route = {
  slug: 'claude-slug',
  policy: 'priority',
  currency: 'USD',
  kind: 'chat',
  metadata: {},
  backends: [
    {
      id: 'b1',
      providerId: 'ant',
      upstreamModel: 'claude-upstream',
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

describe('dispatch-anthropic as a module', () => {
  let fake: FakeAnthropic;
  let t: TestKernel;

  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: 'ant-from-env' });
    process.env.TEST_DISPATCH_ANTHROPIC_KEY = 'ant-from-env';
    t = await startTestKernel({
      modules: [authModule, dispatchModule, dispatchAnthropic],
      config: {
        dispatch: { providers: [{ id: 'ant', kind: 'anthropic', baseUrl: fake.url, apiKeyEnv: 'TEST_DISPATCH_ANTHROPIC_KEY' }] },
        'dispatch-anthropic': { defaultMaxTokens: 1234, anthropicVersion: '2023-06-01' },
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
    delete process.env.TEST_DISPATCH_ANTHROPIC_KEY;
  });

  it('registers the anthropic kind, and dispatch.service reaches the upstream through it', async () => {
    const ctx = t.context('dispatch-anthropic');
    expect(ctx.use(dispatcherRegistryRef).kinds()).toContain('anthropic');

    const service = ctx.use(dispatchServiceRef);
    const request = { model: 'claude-slug', messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Hi' }] }] };
    fake.script({ text: 'Hello through the kernel' });
    const served = await service.chat(route, request, { signal: new AbortController().signal, requestId: 'req-mod-1' });
    expect(served.response.message.content).toEqual([{ type: 'text', text: 'Hello through the kernel' }]);
    expect(served.providerKind).toBe('anthropic');

    const upstream = fake.requests.at(-1)!;
    expect(upstream.headers['x-api-key']).toBe('ant-from-env');
    expect(upstream.headers['anthropic-version']).toBe('2023-06-01');
    expect(upstream.body).toEqual({ model: 'claude-upstream', max_tokens: 1234, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] });

    fake.script({ text: 'streamed reply' });
    const stream = await service.chatStream(route, request, { signal: new AbortController().signal, requestId: 'req-mod-2' });
    const chunks = await collectChunks(stream.chunks);
    expect(chunks.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('')).toBe('streamed reply');
    expect(chunks.some((c) => c.type === 'usage')).toBe(true);
  });
});
