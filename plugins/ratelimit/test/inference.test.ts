/**
 * The real request path: auth, routing, dispatch, inference and the OpenAI dispatcher against
 * the fake OpenAI upstream (test/fakes/fake-openai.ts, OpenAI's Chat Completions wire format).
 * Shows the OpenAI error shape of a refusal on /oai/v1 and tokens counted through the
 * inference afterResponse hook.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import openaiModule from '@scaigrid/plugin-dispatch-openai';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/fakes/fake-openai.js';
import { startProviderGateway, type ProviderGateway } from '../../../test/fakes/provider-gateway.js';
import ratelimitModule from '../src/index.js';

let fake: FakeOpenAI;
let gw: ProviderGateway;
const KEY_ENV = 'SG_RATELIMIT_TEST_OPENAI_KEY';

beforeAll(async () => {
  process.env[KEY_ENV] = 'sk-test-upstream';
  fake = await startFakeOpenAI({ apiKey: 'sk-test-upstream' });
  gw = await startProviderGateway({
    modules: [openaiModule, ratelimitModule],
    providers: [{ id: 'oai', kind: 'openai', baseUrl: fake.url, apiKeyEnv: KEY_ENV, timeoutMs: 5000 }],
    models: [{ slug: 'gpt', backends: [{ providerId: 'oai', upstreamModel: 'gpt-4o' }] }],
    config: { ratelimit: { limits: [{ scope: 'tenant', tokensPerMinute: 25, requestsPerMinute: 100 }] } },
  });
});

afterAll(async () => {
  await gw?.stop();
  await fake?.close();
  delete process.env[KEY_ENV];
});

describe('ratelimit on the inference path', () => {
  it('counts the tokens of each answer and refuses in OpenAI shape once they are used up', async () => {
    fake.script({ text: 'one', usage: { prompt_tokens: 10, completion_tokens: 5 } });
    const first = await gw.chat({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] });
    expect(first.status).toBe(200);
    fake.script({ text: 'two', usage: { prompt_tokens: 10, completion_tokens: 5 } });
    const second = await gw.chat({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] });
    expect(second.status).toBe(200);
    // 15 tokens were counted after the first answer: 10 of 25 were left before the second.
    expect(second.headers.get('x-ratelimit-remaining')).toBe('10');
    expect(second.headers.get('x-ratelimit-limit')).toBe('25');

    const upstreamCalls = fake.requests.length;
    const refused = await gw.chat({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await refused.json()) as { error: { message: string; type: string; code: string | null } };
    expect(body.error.message).toMatch(/25 tokens per minute/);
    expect(typeof body.error.type).toBe('string');
    expect(fake.requests.length).toBe(upstreamCalls);
  });
});
