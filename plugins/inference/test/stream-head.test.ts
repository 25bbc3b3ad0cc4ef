/**
 * When a streamed answer's response head leaves: as soon as an upstream accepted the request
 * (its 2xx status is in), not with the first chunk. Failover still runs until a first chunk;
 * what fails after the head is reported in the stream, what fails before it keeps its status.
 */
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { defineModule, type GatewayError } from '@scaigrid/kernel';
import { inferenceHooksRef, type InferenceContext } from '../src/index.js';
import { authHeaders, readSse, startGateway, type Gateway } from './support/gateway.js';

const settled: { phase: 'after' | 'error'; code?: string; ctx: InferenceContext }[] = [];
const recorder = defineModule({
  id: 'stream-head-recorder',
  version: '0.0.0',
  dependsOn: ['inference'],
  setup(ctx) {
    ctx.use(inferenceHooksRef).register({
      name: 'stream-head-recorder',
      afterResponse: (c) => void settled.push({ phase: 'after', ctx: c }),
      onError: (c, error: GatewayError) => void settled.push({ phase: 'error', code: error.code, ctx: c }),
    });
  },
});

let gw: Gateway;
beforeAll(async () => {
  gw = await startGateway({
    modules: [recorder],
    // Two backends on the one fake upstream, so an answer shows which one served it.
    chatModel: {
      policy: 'priority',
      backends: [
        { providerId: 'fake', upstreamModel: 'first-choice', priority: 0 },
        { providerId: 'fake', upstreamModel: 'second-choice', priority: 1 },
      ],
    },
  });
});
afterAll(async () => {
  await gw?.stop();
});
beforeEach(() => {
  settled.length = 0;
});

const stream = () =>
  gw.t.fetch('/oai/v1/chat/completions', {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat-model', messages: [{ role: 'user', content: 'hello' }], stream: true }),
  });

const texts = (events: { data: string }[]) =>
  events
    .filter((e) => e.data !== '[DONE]')
    .map((e) => JSON.parse(e.data).choices?.[0]?.delta?.content ?? '')
    .join('');

it('sends the head, with the request id, once the upstream accepted and before its first chunk', async () => {
  let release!: () => void;
  const firstChunkAfter = new Promise<void>((resolve) => (release = resolve));
  gw.upstream.script({ text: 'thought about it', firstChunkAfter });
  const res = await Promise.race([stream(), new Promise<'no head'>((resolve) => setTimeout(() => resolve('no head'), 2000))]);
  // The upstream is holding its first chunk until released: a head here came before it.
  expect(res).not.toBe('no head');
  const head = res as Response;
  expect(head.status).toBe(200);
  expect(head.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(head.headers.get('x-request-id')).toMatch(/^req_/);
  release();
  const events = await readSse(head);
  expect(texts(events)).toBe('thought about it');
  expect(events.at(-1)!.data).toBe('[DONE]');
});

it('fails over to the next backend when the first accepts and then drops before its first chunk', async () => {
  gw.upstream.script({ text: 'never sent', dropAfterChunks: 0 }, { text: 'from the second' });
  const res = await stream();
  expect(res.status).toBe(200);
  const events = await readSse(res);
  expect(texts(events)).toBe('from the second');
  expect(events.at(-1)!.data).toBe('[DONE]');
  expect(gw.upstream.requests.slice(-2).map((r) => r.body.model)).toEqual(['first-choice', 'second-choice']);
  await vi.waitFor(() => expect(settled.length).toBeGreaterThan(0), { timeout: 3000 });
  // The settlement prices the backend that served, not the one that accepted first.
  expect(settled.map((s) => s.phase)).toEqual(['after']);
  expect(settled[0]!.ctx).toMatchObject({ attempts: 2, backend: { upstreamModel: 'second-choice' } });
});

it('reports in the stream when every backend that accepted dropped before a first chunk', async () => {
  gw.upstream.script({ text: 'never sent', dropAfterChunks: 0 }, { text: 'never sent either', dropAfterChunks: 0 });
  const res = await stream();
  expect(res.status).toBe(200);
  const events = await readSse(res);
  expect(texts(events.slice(0, -1))).toBe('');
  expect(JSON.parse(events.at(-1)!.data).error).toMatchObject({ type: 'server_error' });
  expect(events.some((e) => e.data === '[DONE]')).toBe(false);
  await vi.waitFor(() => expect(settled.length).toBeGreaterThan(0), { timeout: 3000 });
  expect(settled).toMatchObject([{ phase: 'error', code: 'UPSTREAM_ERROR' }]);
});

it('keeps the HTTP status when no backend accepted', async () => {
  gw.upstream.script({ status: 500 }, { status: 503 });
  const res = await stream();
  expect(res.status).toBe(502);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect((await res.json()).error).toMatchObject({ type: 'server_error', code: 'upstream_error' });
  await vi.waitFor(() => expect(settled.length).toBeGreaterThan(0), { timeout: 3000 });
  expect(settled).toMatchObject([{ phase: 'error', code: 'UPSTREAM_ERROR' }]);
});
