/**
 * The official `@anthropic-ai/sdk` against the gateway's `/anthropic` (Anthropic's Messages
 * API, inbound), through the real request path to fake upstreams of other providers: the
 * same Anthropic client code gets messages, streams and tool use whichever provider serves,
 * its requests pass the same hooks and rate limits as `/oai/v1`, and the SDK raises its own
 * error classes for the gateway's errors.
 */
import Anthropic, { type APIError } from '@anthropic-ai/sdk';
import ratelimitModule from '@scaigrid/plugin-ratelimit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GUEST_KEY, MEMBER_KEY, sdkBackends, startSdkGateway, type SdkGateway } from './support/sdk-gateway.js';

const TIGHT_KEY = 'sgk_e2eSdkTightKey000000000000000000000000000';
process.env.E2E_SDK_TIGHT_KEY = TIGHT_KEY;

let gw: SdkGateway;

beforeAll(async () => {
  gw = await startSdkGateway({
    modules: [ratelimitModule],
    tenants: [{ slug: 'tight' }],
    keys: [{ name: 'tight', tenant: 'tight', roles: ['member'], secretEnv: 'E2E_SDK_TIGHT_KEY' }],
    models: [
      // Two backends, so an upstream 429 reaches the client only once failover has run out.
      {
        slug: 'failover',
        policy: 'priority',
        backends: [
          { providerId: 'oai', upstreamModel: 'gpt-4o-mini', priority: 1 },
          { providerId: 'ant', upstreamModel: 'claude-sonnet-4-5', priority: 2 },
        ],
      },
    ],
    config: { ratelimit: { limits: [{ scope: 'tenant', id: 'tight', requestsPerMinute: 1 }] } },
  });
});

afterAll(async () => {
  await gw?.stop();
});

function client(apiKey = MEMBER_KEY): Anthropic {
  return new Anthropic({ apiKey, baseURL: `${gw.t.url}/anthropic`, maxRetries: 0, timeout: 10_000 });
}

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

const backends = sdkBackends(() => gw);

describe.each(backends)('anthropic SDK through $slug', (backend) => {
  it('creates a message, through the same hooks as every API', async () => {
    backend.scriptText('Paris is the capital of France.');
    const before = gw.seen.length;
    const message = await client().messages.create({
      model: backend.slug,
      max_tokens: 100,
      system: 'Answer briefly.',
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    expect(message.id).toMatch(/^msg_/);
    expect(message.type).toBe('message');
    expect(message.model).toBe(backend.slug);
    expect(message.content).toEqual([{ type: 'text', text: 'Paris is the capital of France.' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 9, output_tokens: 5 });
    expect(backend.lastUpstreamModel()).toBe(backend.upstreamModel);
    // The answer is written before afterResponse runs (the request was alone on the gateway).
    await vi.waitFor(() =>
      expect(gw.seen.slice(before)).toEqual([
        { api: 'anthropic', model: backend.slug, stream: false, outcome: 'response', errorCode: undefined, usage: expect.objectContaining({ promptTokens: 9, completionTokens: 5 }) },
      ]),
    );
  });

  it('streams: the MessageStream helper assembles the final message', async () => {
    backend.scriptText('One, two, three, four, five.');
    const before = gw.seen.length;
    const stream = client().messages.stream({ model: backend.slug, max_tokens: 100, messages: [{ role: 'user', content: 'Count to five.' }] });
    const deltas: string[] = [];
    stream.on('text', (text) => deltas.push(text));
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: 'text', text: 'One, two, three, four, five.' }]);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('One, two, three, four, five.');
    expect(final.stop_reason).toBe('end_turn');
    // message_delta carries the upstream's final count, replacing message_start's estimate.
    expect(final.usage).toMatchObject({ input_tokens: 9, output_tokens: 5 });
    await vi.waitFor(() => expect(gw.seen.slice(before)).toMatchObject([{ api: 'anthropic', stream: true, outcome: 'response' }]));
  });

  it('streams: raw events in Anthropic order', async () => {
    backend.scriptText('Hello there, friend.');
    const stream = await client().messages.create({ model: backend.slug, max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Greet me.' }] });
    const events: Anthropic.RawMessageStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('message_start');
    expect(types[1]).toBe('content_block_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(types.slice(2, -3).every((t) => t === 'content_block_delta')).toBe(true);
    const text = events.map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : '')).join('');
    expect(text).toBe('Hello there, friend.');
    const start = events[0] as Anthropic.RawMessageStartEvent;
    expect(start.message).toMatchObject({ role: 'assistant', model: backend.slug, content: [] });
  });

  it('uses a tool: tool_use whole and streamed, then the tool_result answered', async () => {
    backend.scriptTool('get_weather', { city: 'Oslo' });
    const message = await client().messages.create({
      model: backend.slug,
      max_tokens: 200,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
    });
    expect(message.stop_reason).toBe('tool_use');
    const use = message.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(use).toMatchObject({ name: 'get_weather', input: { city: 'Oslo' } });
    expect(use.id).toBeTruthy();

    backend.scriptTool('get_weather', { city: 'Bergen' });
    const stream = client().messages.stream({ model: backend.slug, max_tokens: 200, tools: [weatherTool], messages: [{ role: 'user', content: 'Weather in Bergen?' }] });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    const streamed = final.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(streamed).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Bergen' } });

    // The result goes back under the id the client was given; the upstream gets it in its own format.
    backend.scriptText('It is sunny in Bergen.');
    const answer = await client().messages.create({
      model: backend.slug,
      max_tokens: 200,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Weather in Bergen?' },
        { role: 'assistant', content: final.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: streamed.id, content: '{"sky":"clear"}' }] },
      ],
    });
    expect(answer.content).toEqual([{ type: 'text', text: 'It is sunny in Bergen.' }]);
    expect(backend.lastToolResult()).toEqual({ ref: backend.toolResultsBy === 'id' ? streamed.id : 'get_weather', result: { sky: 'clear' } });
  });

  it('ends a stream whose upstream drops mid-way with an error the SDK raises, not a hang', async () => {
    backend.scriptText('This answer is long enough to be cut off after a few events have gone out.', { dropAfterChunks: backend.dropAfter });
    const stream = client().messages.stream({ model: backend.slug, max_tokens: 100, messages: [{ role: 'user', content: 'Talk.' }] });
    let text = '';
    stream.on('text', (delta) => (text += delta));
    await expect(stream.finalMessage()).rejects.toBeInstanceOf(Anthropic.APIError);
    expect(text.length).toBeGreaterThan(0);
  });
});

describe('anthropic SDK: keys, count_tokens, models', () => {
  it('accepts the key as a bearer token (authToken) as well as x-api-key', async () => {
    gw.fakeOpenAI.script({ text: 'ok' });
    const bearer = new Anthropic({ apiKey: null, authToken: MEMBER_KEY, baseURL: `${gw.t.url}/anthropic`, maxRetries: 0 });
    const message = await bearer.messages.create({ model: 'via-openai', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    expect(message.content).toEqual([{ type: 'text', text: 'ok' }]);
  });

  it('counts tokens without calling an upstream', async () => {
    const before = gw.fakeOpenAI.requests.length;
    const short = await client().messages.countTokens({ model: 'via-openai', messages: [{ role: 'user', content: 'Hi' }] });
    const long = await client().messages.countTokens({ model: 'via-openai', system: 'Be thorough. '.repeat(50), tools: [weatherTool], messages: [{ role: 'user', content: 'Hi' }] });
    expect(short.input_tokens).toBeGreaterThan(0);
    expect(long.input_tokens).toBeGreaterThan(short.input_tokens + 100);
    expect(gw.fakeOpenAI.requests.length).toBe(before);
  });

  it('lists the chat models', async () => {
    const ids: string[] = [];
    for await (const model of client().models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual(['failover', 'via-anthropic', 'via-gemini', 'via-openai']);
  });
});

describe('anthropic SDK errors', () => {
  const ask = (model = 'via-openai', extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}, key?: string) =>
    client(key)
      .messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: 'x' }], ...extra })
      .catch((e: unknown) => e);

  it('AuthenticationError for a bad key', async () => {
    const err = await ask('via-openai', {}, 'sgk_notARealKey000000000000000000000000000000');
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as APIError).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('PermissionDeniedError without models:use', async () => {
    expect(await ask('via-openai', {}, GUEST_KEY)).toBeInstanceOf(Anthropic.PermissionDeniedError);
  });

  it('NotFoundError for an unknown model', async () => {
    const err = await ask('claude-nonexistent');
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as APIError).error).toMatchObject({ error: { type: 'not_found_error' } });
    expect((err as APIError).requestID).toBeTruthy();
  });

  it('BadRequestError with invalid_request_error, and nothing sent upstream', async () => {
    const before = gw.fakeOpenAI.requests.length;
    const err = await ask('via-openai', { temperature: 3 });
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as APIError).error).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringContaining('temperature') } });
    const noMax = await client()
      .messages.create({ model: 'via-openai', messages: [{ role: 'user', content: 'x' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(noMax).toBeInstanceOf(Anthropic.BadRequestError);
    expect(gw.fakeOpenAI.requests.length).toBe(before);
  });

  it('RateLimitError when every backend answered 429, with Retry-After', async () => {
    gw.fakeOpenAI.script({ status: 429, retryAfter: 3 });
    gw.fakeAnthropic.script({ status: 429, retryAfter: 4 });
    const before = [gw.fakeOpenAI.requests.length, gw.fakeAnthropic.requests.length];
    const err = await ask('failover');
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect((err as APIError).error).toMatchObject({ error: { type: 'rate_limit_error' } });
    expect((err as APIError).headers?.get('retry-after')).toBe('4');
    // Both backends were tried before the client heard of it.
    expect([gw.fakeOpenAI.requests.length, gw.fakeAnthropic.requests.length]).toEqual([before[0]! + 1, before[1]! + 1]);
  });

  it('RateLimitError when the budget hook refuses, before any upstream call', async () => {
    const before = gw.fakeOpenAI.requests.length;
    const seen = gw.seen.length;
    const err = await ask('via-openai', { metadata: { user_id: 'broke' } });
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect((err as APIError).error).toMatchObject({ error: { type: 'rate_limit_error', message: expect.stringContaining('budget') } });
    expect(gw.fakeOpenAI.requests.length).toBe(before);
    expect(gw.seen.slice(seen)).toMatchObject([{ api: 'anthropic', outcome: 'error', errorCode: 'BUDGET_EXCEEDED' }]);
  });

  it('RateLimitError from the ratelimit plugin once the tenant used its requests', async () => {
    gw.fakeOpenAI.script({ text: 'first' });
    const first = await client(TIGHT_KEY).messages.create({ model: 'via-openai', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    expect(first.content).toEqual([{ type: 'text', text: 'first' }]);
    const before = gw.fakeOpenAI.requests.length;
    const err = await ask('via-openai', {}, TIGHT_KEY);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(Number((err as APIError).headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(gw.fakeOpenAI.requests.length).toBe(before);
  });

  it('InternalServerError with overloaded_error (529) when the upstream is overloaded', async () => {
    gw.fakeAnthropic.script({ status: 529 });
    const err = await ask('via-anthropic');
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect((err as APIError).status).toBe(529);
    expect((err as APIError).error).toMatchObject({ error: { type: 'overloaded_error' } });
  });
});
