/**
 * The rate limiter and the budget hold decide together (inference's deferred checks): with the
 * real ratelimit and accounting plugins, a request over the rate limit is refused with 429
 * even though its hold was placed at the same moment, nothing reaches the upstream, and the
 * hold is released — the budget ends with exactly the admitted requests' cost, nothing held.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import openaiModule from '@scaigrid/plugin-dispatch-openai';
import ratelimitModule from '@scaigrid/plugin-ratelimit';
import accountingModule from '@scaigrid/plugin-accounting';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/fake-openai.js';
import { startProviderGateway, type ProviderGateway } from '../fakes/provider-gateway.js';

let fake: FakeOpenAI;
let gw: ProviderGateway;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  gw = await startProviderGateway({
    modules: [openaiModule, ratelimitModule, accountingModule],
    providers: [{ id: 'oai', kind: 'openai', baseUrl: fake.url, timeoutMs: 5000 }],
    // $1 per million tokens each way: 10 + 5 tokens cost 15 micro-units.
    models: [{ slug: 'gpt', backends: [{ providerId: 'oai', upstreamModel: 'gpt-4o', inputPricePerMillion: '1', outputPricePerMillion: '1' }] }],
    config: {
      ratelimit: { limits: [{ scope: 'tenant', requestsPerMinute: 2 }] },
      accounting: { budgets: [{ scope: 'tenant', subject: 'acme', period: 'monthly', amount: '10' }] },
    },
  });
});

afterAll(async () => {
  await gw?.stop();
  await fake?.close();
});

it('refuses the request over the limit, sends nothing upstream and releases its hold', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    fake.script({ text: 'ok', usage: { prompt_tokens: 10, completion_tokens: 5 } });
    const res = await gw.chat({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16 });
    statuses.push(res.status);
    if (res.status === 429) expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/2 requests per minute/);
    else await res.text();
  }
  expect(statuses).toEqual([200, 200, 429]);
  expect(fake.requests.length).toBe(2);

  const status = await gw.asAdmin('/v1/admin/budgets/status?tenant=acme');
  expect(status.status).toBe(200);
  const [budget] = ((await status.json()) as { data: { spent_micros: number; held_micros: number }[] }).data;
  expect(budget.held_micros).toBe(0);
  expect(budget.spent_micros).toBe(2 * 15);
});
