/**
 * @module provider-gateway
 * The real request path for provider packages' tests: auth, routing, dispatch and inference
 * plus the dispatcher module under test, in a test kernel, with an admin key and a member
 * key (`sgk_…`, seeded through auth's config). It hands a test the three places a provider
 * is seen from — the dispatcher itself (`call()` builds its DispatchCall over the kernel's
 * pool), `dispatch.service` with a routed model, and `/oai/v1` — and checks the one behaviour
 * every provider shares: an upstream 429 or 500 is a retryable UpstreamError, fails over in
 * dispatch, and reaches OpenAI clients as the normalized error.
 *
 * @example
 * const gw = await startProviderGateway({ modules: [azureModule], providers: [...], models: [...] });
 * const res = await gw.chat({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] });
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { Module } from '@scaigrid/kernel';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';
import authModule, { type Caller } from '@scaigrid/plugin-auth';
import routingModule, { routingServiceRef, type ModelRoute } from '@scaigrid/plugin-routing';
import dispatchModule, { dispatchServiceRef, dispatcherRegistryRef, UpstreamError, type ChatRequest, type DispatchCall, type Dispatcher, type DispatchService } from '@scaigrid/plugin-dispatch';
import inferenceModule from '@scaigrid/plugin-inference';
import { testCall, type TestCallOptions } from './dispatch-call.js';
import type { FakeOpenAI } from './fake-openai.js';

const ADMIN: Caller = { kind: 'service', roles: ['admin'], permissions: new Set(['admin:access']) };

export interface ProviderGatewayOptions {
  /** The dispatcher module(s) under test. */
  modules: Module[];
  /** `dispatch.providers` entries. */
  providers: Array<Record<string, unknown>>;
  /** `routing.models` entries. */
  models: Array<Record<string, unknown>>;
  /** Extra config sections (e.g. the module's own). */
  config?: Record<string, unknown>;
}

export interface ProviderGateway {
  t: TestKernel;
  adminKey: string;
  memberKey: string;
  /** POST /oai/v1/chat/completions as the member. */
  chat(body: Record<string, unknown>): Promise<Response>;
  embeddings(body: Record<string, unknown>): Promise<Response>;
  /** A request with the admin key (JSON body). */
  asAdmin(path: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  dispatcher(kind: string): Dispatcher;
  /** A DispatchCall over the kernel's HTTP pool. */
  call(options: TestCallOptions): DispatchCall;
  service(): DispatchService;
  route(slug: string): ModelRoute;
  stop(): Promise<void>;
}

export async function startProviderGateway(options: ProviderGatewayOptions): Promise<ProviderGateway> {
  const suffix = randomBytes(4).toString('hex').toUpperCase();
  const adminKey = `sgk_${randomBytes(32).toString('base64url')}`;
  const memberKey = `sgk_${randomBytes(32).toString('base64url')}`;
  const env = { admin: `SG_PROVIDER_TEST_ADMIN_${suffix}`, member: `SG_PROVIDER_TEST_MEMBER_${suffix}` };
  process.env[env.admin] = adminKey;
  process.env[env.member] = memberKey;
  const t = await startTestKernel({
    modules: [authModule, routingModule, dispatchModule, inferenceModule, ...options.modules],
    config: {
      auth: {
        bootstrap: { adminKeyEnv: env.admin },
        seed: { tenants: [{ slug: 'acme' }], keys: [{ name: 'member', tenant: 'acme', roles: ['member'], secretEnv: env.member }] },
      },
      dispatch: { providers: options.providers },
      routing: { models: options.models },
      ...options.config,
    },
  });
  const post = (path: string, key: string, body: unknown, method = 'POST') =>
    t.fetch(path, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return {
    t,
    adminKey,
    memberKey,
    chat: (body) => post('/oai/v1/chat/completions', memberKey, body),
    embeddings: (body) => post('/oai/v1/embeddings', memberKey, body),
    asAdmin: (path, init = {}) => post(path, adminKey, init.body, init.method ?? 'GET'),
    dispatcher(kind) {
      const found = t.context('dispatch').use(dispatcherRegistryRef).get(kind);
      if (!found) throw new Error(`no dispatcher for kind '${kind}'`);
      return found;
    },
    call: (callOptions) => testCall(t.context('dispatch').http.dispatcher, callOptions),
    service: () => t.context('dispatch').use(dispatchServiceRef),
    route: (slug) => t.context('routing').use(routingServiceRef).resolve(slug, ADMIN),
    async stop() {
      await t.stop();
      delete process.env[env.admin];
      delete process.env[env.member];
    },
  };
}

/** The JSON chunks of an SSE response from /oai/v1, checking it ends with `data: [DONE]`. */
export async function sseChunks(response: Response): Promise<any[]> {
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const data = (await response.text())
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => line.slice(6));
  expect(data.at(-1)).toBe('[DONE]');
  return data.slice(0, -1).map((d) => JSON.parse(d));
}

export interface UpstreamFailureCase {
  gw: ProviderGateway;
  fake: FakeOpenAI;
  kind: string;
  /** The routed model whose (single) backend is the fake. */
  slug: string;
  /** The dispatcher's view of that backend. */
  call: DispatchCall;
}

const ask: ChatRequest = { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] };

/**
 * 429 (with Retry-After) and 500 in the provider's own error shape (the fake's): from the
 * dispatcher a retryable UpstreamError with the status and the upstream's message; through
 * dispatch.service the next backend gets the request (here: the same backend listed twice);
 * through /oai/v1 (whole and streamed) a 502 `upstream_error`, with Retry-After passed on.
 */
export async function expectUpstreamFailuresNormalized({ gw, fake, kind, slug, call }: UpstreamFailureCase): Promise<void> {
  const dispatcher = gw.dispatcher(kind);
  for (const [status, retryAfter] of [[429, 3], [500, undefined]] as const) {
    fake.script({ status, retryAfter });
    const err = await dispatcher.chat(ask, call).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ kind: 'http', status, retryable: true, retryAfter });
    expect((err as UpstreamError).upstreamMessage).toBeTruthy();
  }

  const route = gw.route(slug);
  const twice: ModelRoute = { ...route, backends: [route.backends[0], route.backends[0]] };
  fake.script({ status: 429, retryAfter: 1 }, { text: 'second try' });
  const served = await gw.service().chat(twice, ask, { signal: new AbortController().signal, requestId: `req-${kind}-failover` });
  expect(served.attempts).toBe(2);
  expect(served.response.message.content).toEqual([{ type: 'text', text: 'second try' }]);

  for (const stream of [false, true]) {
    fake.script({ status: 429, retryAfter: 7 }, { status: 500 });
    const limited = await gw.chat({ model: slug, messages: [{ role: 'user', content: 'x' }], stream });
    expect(limited.status).toBe(502);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await limited.json()).error).toMatchObject({ type: 'server_error', code: 'upstream_error', message: expect.stringContaining('HTTP 429') });
    const failed = await gw.chat({ model: slug, messages: [{ role: 'user', content: 'x' }], stream });
    expect(failed.status).toBe(502);
    expect((await failed.json()).error).toMatchObject({ type: 'server_error', code: 'upstream_error', message: expect.stringContaining('HTTP 500') });
  }
}

/**
 * The tool round trip through /oai/v1 for providers that keep OpenAI's tool-call ids: the
 * model calls `get_weather` (id `toolCallId`), the client answers with a tool message, and
 * the upstream receives the assistant call and the result exactly. `extra` is added to the
 * first request (e.g. `tool_choice`); returns the upstream's first request body.
 */
export async function expectToolRoundTrip(gw: ProviderGateway, fake: FakeOpenAI, slug: string, toolCallId: string, extra: Record<string, unknown> = {}): Promise<any> {
  const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
  const call = { id: toolCallId, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bern"}' } };
  fake.script({ toolCalls: [{ id: toolCallId, name: 'get_weather', arguments: { city: 'Bern' } }] });
  const first = await (await gw.chat({ model: slug, messages: [{ role: 'user', content: 'Weather in Bern?' }], tools, ...extra })).json();
  expect(first.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { content: null, tool_calls: [call] } });
  const firstSent = fake.requests.at(-1)!.body;
  expect(firstSent.tools).toEqual(tools);

  fake.script({ text: 'Sunny in Bern.' });
  const messages = [{ role: 'user', content: 'Weather in Bern?' }, first.choices[0].message, { role: 'tool', tool_call_id: toolCallId, content: '{"temp":21}' }];
  const second = await (await gw.chat({ model: slug, messages, tools })).json();
  expect(second.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Sunny in Bern.' } });
  expect(fake.requests.at(-1)!.body.messages.slice(1)).toEqual([
    { role: 'assistant', content: null, tool_calls: [call] },
    { role: 'tool', tool_call_id: toolCallId, content: '{"temp":21}' },
  ]);
  return firstSent;
}
