/**
 * The quick start through the real request path: auth, routing, dispatch, dispatch-mock and
 * inference with `mockQuickStartConfig`, called over HTTP on /oai/v1 with a seeded key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import authModule from '@scaigrid/plugin-auth';
import dispatchModule from '@scaigrid/plugin-dispatch';
import inferenceModule from '@scaigrid/plugin-inference';
import routingModule from '@scaigrid/plugin-routing';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import mockModule, { mockQuickStartConfig } from '../src/index.js';

const KEY = 'sgk_dispatchMockQuickStartKey000000000000000000';
process.env.SG_DISPATCH_MOCK_TEST_KEY = KEY;

let t: TestKernel;
beforeAll(async () => {
  t = await startTestKernel({
    modules: [authModule, routingModule, dispatchModule, mockModule, inferenceModule],
    config: {
      auth: { bootstrap: { enabled: false }, seed: { tenants: [{ slug: 'acme' }], keys: [{ name: 'app', tenant: 'acme', roles: ['member'], secretEnv: 'SG_DISPATCH_MOCK_TEST_KEY' }] } },
      dispatch: {
        providers: [
          ...mockQuickStartConfig.dispatch.providers,
          { id: 'mock-down', kind: 'mock', options: { failStatus: 503 } },
          { id: 'mock-slow', kind: 'mock', timeoutMs: 100, options: { latencyMs: 60_000 } },
        ],
      },
      routing: {
        models: [
          ...mockQuickStartConfig.routing.models,
          { slug: 'echo-slow', backends: [{ providerId: 'mock-slow', upstreamModel: 'echo' }] },
          { slug: 'echo-failover', backends: [{ providerId: 'mock-down', upstreamModel: 'echo', priority: 0 }, { providerId: 'mock', upstreamModel: 'echo', priority: 1 }] },
        ],
      },
    },
  });
});
afterAll(async () => {
  await t?.stop();
});

const post = (path: string, body: Record<string, unknown>) => t.fetch(path, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body });

describe('quick start with the mock provider', () => {
  it('lists echo and answers a chat completion', async () => {
    const models = await (await t.fetch('/oai/v1/models', { headers: { authorization: `Bearer ${KEY}` } })).json();
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(expect.arrayContaining(['echo', 'echo-embed']));
    const res = await post('/oai/v1/chat/completions', { model: 'echo', messages: [{ role: 'user', content: 'Hello, ScaiGrid' }] });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.choices[0].message.content).toBe('Hello, ScaiGrid');
    expect(body.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });
  });

  it('streams SSE chunks ending in [DONE]', async () => {
    const res = await post('/oai/v1/chat/completions', { model: 'echo', stream: true, messages: [{ role: 'user', content: 'one two three' }] });
    expect(res.status).toBe(200);
    const text = await res.text();
    const events = text.split('\n\n').filter((e) => e.startsWith('data: ')).map((e) => e.slice(6));
    expect(events.at(-1)).toBe('[DONE]');
    const deltas = events.slice(0, -1).map((e) => JSON.parse(e).choices[0]?.delta?.content ?? '').filter(Boolean);
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    expect(deltas.join('')).toBe('one two three');
  });

  it('makes a tool call when asked', async () => {
    const res = await post('/oai/v1/chat/completions', {
      model: 'echo',
      messages: [{ role: 'user', content: 'call lookup {"q":"x"}' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
    });
    const body = await res.json();
    expect(body.choices[0].finish_reason).toBe('tool_calls');
    expect(body.choices[0].message.tool_calls[0].function).toEqual({ name: 'lookup', arguments: '{"q":"x"}' });
  });

  it('embeds deterministically', async () => {
    const first = await (await post('/oai/v1/embeddings', { model: 'echo-embed', input: ['same text'] })).json();
    const second = await (await post('/oai/v1/embeddings', { model: 'echo-embed', input: 'same text' })).json();
    expect(first.data[0].embedding).toHaveLength(8);
    expect(second.data[0].embedding).toEqual(first.data[0].embedding);
  });

  it('fails over from a failing mock backend to a healthy one', async () => {
    const res = await post('/oai/v1/chat/completions', { model: 'echo-failover', messages: [{ role: 'user', content: 'still here' }] });
    expect(res.status).toBe(200);
    expect((await res.json()).choices[0].message.content).toBe('still here');
  });

  it("stops a mock's latency at the provider's timeout, through the attempt's signal", async () => {
    const started = Date.now();
    for (const stream of [false, true]) {
      const res = await post('/oai/v1/chat/completions', { model: 'echo-slow', stream, messages: [{ role: 'user', content: 'too slow' }] });
      expect(res.status).toBe(504);
      expect((await res.json()).error.message).toMatch(/100 ms/);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
