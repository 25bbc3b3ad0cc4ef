/**
 * dispatch-scaiinfer: ScaiInfer nodes (loopback servers speaking the OpenAI wire format of the
 * OpenAI API reference — "Create chat completion", "The chat completion chunk object" — as
 * ScaiInfer's OpenAI-compatible server does, test/fakes/fake-openai.ts) added and removed
 * through `/v1/admin/scaiinfer/nodes` while the gateway runs, and requests through
 * `/oai/v1/chat/completions` with an `sgk_` key seeded through auth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTING_CHANGED_TOPIC, type RoutingChangedEvent } from '@scaigrid/plugin-routing';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/fakes/fake-openai.js';
import { expectToolRoundTrip, expectUpstreamFailuresNormalized, sseChunks, startProviderGateway, type ProviderGateway } from '../../../test/fakes/provider-gateway.js';
import scaiInferModule, { scaiInferNodesRef } from '../src/index.js';

const KEY_ENV = 'SG_TEST_SCAIINFER_KEY';
let nodeA: FakeOpenAI;
let nodeB: FakeOpenAI;
let gw: ProviderGateway;
const ask = (stream = false) => gw.chat({ model: 'llama-70b', messages: [{ role: 'user', content: 'Hi' }], stream, ...(stream ? { stream_options: { include_usage: true } } : {}) });

beforeAll(async () => {
  process.env[KEY_ENV] = 'scaiinfer-cluster-key';
  nodeA = await startFakeOpenAI({ apiKey: process.env[KEY_ENV], defaultReply: { text: 'from node A' } });
  nodeB = await startFakeOpenAI({ apiKey: process.env[KEY_ENV], defaultReply: { text: 'from node B' } });
  gw = await startProviderGateway({
    modules: [scaiInferModule],
    providers: [{ id: 'scaiinfer', kind: 'scaiinfer', apiKeyEnv: KEY_ENV, timeoutMs: 5000 }],
    models: [
      {
        slug: 'llama-70b',
        policy: 'priority',
        // A node seeded from config is a backend tagged like the ones the admin API adds.
        backends: [{ providerId: 'scaiinfer', upstreamModel: 'llama-3.1-70b', priority: 10, options: { scaiinferNode: 'node-a', nodeUrl: nodeA.url } }],
      },
      { slug: 'qwen-7b', backends: [{ providerId: 'scaiinfer', upstreamModel: 'qwen2.5-7b', options: { scaiinferNode: 'node-a', nodeUrl: nodeA.url } }] },
    ],
    config: { 'dispatch-scaiinfer': { providerId: 'scaiinfer' } },
  });
});
afterAll(async () => {
  await gw?.stop();
  await nodeA?.close();
  await nodeB?.close();
});

describe('ScaiInfer nodes at run time', () => {
  it('serves through the seeded node: exact request (node URL path, Bearer cluster key, body)', async () => {
    const res = await gw.chat({ model: 'llama-70b', messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 10 });
    expect(res.status).toBe(200);
    expect((await res.json()).choices[0].message.content).toBe('from node A');
    const sent = nodeA.requests.at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer scaiinfer-cluster-key');
    expect(sent.body).toEqual({ model: 'llama-3.1-70b', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10 });
  });

  it('a node added through the admin API serves the next request; removed, it receives none — no restart', async () => {
    const changes: RoutingChangedEvent[] = [];
    const unsubscribe = await gw.t.context('dispatch-scaiinfer').events.subscribe<RoutingChangedEvent>(ROUTING_CHANGED_TOPIC, (m) => {
      changes.push(m.payload);
    });

    const added = await gw.asAdmin('/v1/admin/scaiinfer/nodes', { method: 'POST', body: { id: 'node-b', url: nodeB.url, models: [{ slug: 'llama-70b', upstreamModel: 'llama-3.1-70b', priority: 0 }] } });
    expect(added.status).toBe(201);
    expect(await added.json()).toMatchObject({ id: 'node-b', url: nodeB.url, models: [{ slug: 'llama-70b', backendId: expect.any(String), upstreamModel: 'llama-3.1-70b', priority: 0 }] });

    const beforeB = nodeB.requests.length;
    const res = await ask();
    expect((await res.json()).choices[0].message.content).toBe('from node B');
    expect(nodeB.requests.length).toBe(beforeB + 1);
    const streamed = await sseChunks(await ask(true));
    expect(streamed.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('from node B');
    expect(streamed.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number) } });
    await waitUntil(() => changes.some((c) => c.slug === 'llama-70b' && c.action === 'updated'));

    const listed = await (await gw.asAdmin('/v1/admin/scaiinfer/nodes')).json();
    expect(listed.data.map((n: { id: string; models: Array<{ slug: string }> }) => [n.id, n.models.map((m) => m.slug)])).toEqual([
      ['node-a', ['llama-70b', 'qwen-7b']],
      ['node-b', ['llama-70b']],
    ]);

    expect((await gw.asAdmin('/v1/admin/scaiinfer/nodes/node-b', { method: 'DELETE' })).status).toBe(204);
    const afterRemoval = nodeB.requests.length;
    for (let i = 0; i < 3; i++) expect((await (await ask()).json()).choices[0].message.content).toBe('from node A');
    expect(nodeB.requests.length).toBe(afterRemoval);
    expect(gw.t.context('dispatch-scaiinfer').use(scaiInferNodesRef).list().map((n) => n.id)).toEqual(['node-a']);
    await unsubscribe();
  });

  it('a model whose last node left answers 503 until a node comes back', async () => {
    expect((await gw.asAdmin('/v1/admin/scaiinfer/nodes/node-a', { method: 'DELETE' })).status).toBe(204);
    const before = nodeA.requests.length;
    const res = await ask();
    expect(res.status).toBe(503);
    expect(nodeA.requests.length).toBe(before);

    const back = await gw.asAdmin('/v1/admin/scaiinfer/nodes', { method: 'POST', body: { id: 'node-a', url: nodeA.url, models: [{ slug: 'llama-70b', upstreamModel: 'llama-3.1-70b' }, { slug: 'qwen-7b', upstreamModel: 'qwen2.5-7b' }] } });
    expect(back.status).toBe(201);
    expect((await (await ask()).json()).choices[0].message.content).toBe('from node A');
  });

  it('round-trips a tool call through a node', async () => {
    await expectToolRoundTrip(gw, nodeA, 'llama-70b', 'call_n1');
    expect(nodeA.requests.at(-1)!.headers.authorization).toBe('Bearer scaiinfer-cluster-key');
  });

  it('normalizes upstream 429 and 500 from a node', async () => {
    const call = gw.call({ kind: 'scaiinfer', baseUrl: '', apiKey: process.env[KEY_ENV], backendOptions: { nodeUrl: nodeA.url } });
    // qwen-7b has node-a as its only backend, so the gateway's answer is node-a's.
    await expectUpstreamFailuresNormalized({ gw, fake: nodeA, kind: 'scaiinfer', slug: 'qwen-7b', call });
  });

  it('guards and validates the admin API', async () => {
    const nodes = '/v1/admin/scaiinfer/nodes';
    const asMember = await gw.t.fetch(nodes, { headers: { authorization: `Bearer ${gw.memberKey}` } });
    expect(asMember.status).toBe(403);
    expect((await gw.t.fetch(nodes)).status).toBe(401);

    const count = gw.t.context('dispatch-scaiinfer').use(scaiInferNodesRef).list().length;
    const bad = await gw.asAdmin(nodes, { method: 'POST', body: { id: 'node-c', url: 'not a url', models: [{ slug: 'llama-70b' }] } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain("'url'");
    const unknown = await gw.asAdmin(nodes, { method: 'POST', body: { id: 'node-c', url: nodeB.url, models: [{ slug: 'llama-70b' }, { slug: 'nope' }] } });
    expect(unknown.status).toBe(404);
    const taken = await gw.asAdmin(nodes, { method: 'POST', body: { id: 'node-a', url: nodeB.url, models: [{ slug: 'llama-70b' }] } });
    expect(taken.status).toBe(409);
    expect((await gw.asAdmin(`${nodes}/node-zzz`, { method: 'DELETE' })).status).toBe(404);
    expect(gw.t.context('dispatch-scaiinfer').use(scaiInferNodesRef).list().length).toBe(count);
    expect(gw.route('llama-70b').backends).toHaveLength(1);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
