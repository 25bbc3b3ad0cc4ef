import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import authModule from '@scaigrid/plugin-auth';
import dispatchModule from '@scaigrid/plugin-dispatch';
import dispatchMockModule, { mockQuickStartConfig } from '@scaigrid/plugin-dispatch-mock';
import routingModule from '@scaigrid/plugin-routing';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import inferenceModule from '../src/index.js';
import { authHeaders, MEMBER_KEY, readSse } from './support/gateway.js';

/** The quick-start set-up: the `mock` provider kind with models `echo` and `echo-embed`, no network. */
let t: TestKernel;
beforeAll(async () => {
  t = await startTestKernel({
    modules: [authModule, routingModule, dispatchModule, dispatchMockModule, inferenceModule],
    config: {
      ...mockQuickStartConfig,
      auth: { bootstrap: { enabled: false }, seed: { keys: [{ name: 'member', roles: ['member'], secretEnv: 'INFERENCE_TEST_MEMBER_KEY' }] } },
    },
  });
  expect(process.env.INFERENCE_TEST_MEMBER_KEY).toBe(MEMBER_KEY);
});
afterAll(async () => {
  await t?.stop();
});

const post = (path: string, body: Record<string, unknown>) => t.fetch(path, { method: 'POST', headers: authHeaders(), body });

describe('inference over the mock provider', () => {
  it('echoes a completion', async () => {
    const body = await (await post('/oai/v1/chat/completions', { model: 'echo', messages: [{ role: 'user', content: 'ping pong' }] })).json();
    expect(body).toMatchObject({ object: 'chat.completion', model: 'echo', choices: [{ message: { content: 'ping pong' }, finish_reason: 'stop' }] });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it('streams the echo with a usage chunk and [DONE]', async () => {
    const events = await readSse(await post('/oai/v1/chat/completions', { model: 'echo', messages: [{ role: 'user', content: 'one two three' }], stream: true, stream_options: { include_usage: true } }));
    expect(events.at(-1)!.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('one two three');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: expect.any(Number) } });
  });

  it('answers with a tool call when asked to call an offered tool', async () => {
    const body = await (
      await post('/oai/v1/chat/completions', {
        model: 'echo',
        messages: [{ role: 'user', content: 'call get_weather {"city":"Rome"}' }],
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      })
    ).json();
    expect(body.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } }] } });
  });

  it('embeds through echo-embed', async () => {
    const body = await (await post('/oai/v1/embeddings', { model: 'echo-embed', input: ['a', 'b', 'c'] })).json();
    expect(body.data.map((d: { index: number }) => d.index)).toEqual([0, 1, 2]);
    expect(body.data[0].embedding.length).toBeGreaterThan(0);
  });

  it('serves the native API', async () => {
    const events = await readSse(await post('/v1/inference/chat', { model: 'echo', messages: [{ role: 'user', content: 'native words here' }], stream: true }));
    expect(events.filter((e) => e.event === 'chunk').map((e) => JSON.parse(e.data).text).join('')).toBe('native words here');
    expect(events.at(-1)!.event).toBe('done');
  });
});
