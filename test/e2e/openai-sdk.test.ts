/**
 * The official `openai` SDK against the gateway's `/oai/v1`, through the real request path
 * (auth → routing → inference → dispatch → provider dispatcher) to fake upstreams that speak
 * OpenAI's, Anthropic's and Gemini's wire formats: the same client code works whichever provider
 * serves, and the SDK raises its usual exceptions for the gateway's errors.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GUEST_KEY, MEMBER_KEY, sdkBackends, startSdkGateway, type SdkGateway } from './support/sdk-gateway.js';

let gw: SdkGateway;
let t: SdkGateway['t'];
let fakeOpenAI: SdkGateway['fakeOpenAI'];
let fakeAnthropic: SdkGateway['fakeAnthropic'];

beforeAll(async () => {
  gw = await startSdkGateway();
  ({ t, fakeOpenAI, fakeAnthropic } = gw);
});

afterAll(async () => {
  await gw?.stop();
});

function client(apiKey = MEMBER_KEY): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${t.url}/oai/v1`, maxRetries: 0, timeout: 10_000 });
}

const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

const backends = sdkBackends(() => gw);

describe.each(backends)('openai SDK through $slug', (backend) => {
  it('creates a completion', async () => {
    backend.scriptText('Paris is the capital of France.');
    const completion = await client().chat.completions.create({
      model: backend.slug,
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'Capital of France?' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe(backend.slug);
    expect(completion.choices[0]!.message.content).toBe('Paris is the capital of France.');
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 });
    expect(backend.lastUpstreamModel()).toBe(backend.upstreamModel);
  });

  it('streams with a final usage chunk', async () => {
    backend.scriptText('One, two, three, four, five.');
    const stream = await client().chat.completions.create({
      model: backend.slug,
      messages: [{ role: 'user', content: 'Count to five.' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('One, two, three, four, five.');
    expect(finish).toBe('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 });
    expect(chunks.length).toBeGreaterThan(3);
  });

  it('calls a tool, whole and streamed', async () => {
    backend.scriptTool('get_weather', { city: 'Oslo' });
    const completion = await client().chat.completions.create({
      model: backend.slug,
      messages: [{ role: 'user', content: 'Weather in Oslo?' }],
      tools: [weatherTool],
    });
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type).toBe('function');
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'Oslo' });
    expect(call.id).toBeTruthy();

    backend.scriptTool('get_weather', { city: 'Bergen' });
    const stream = client().chat.completions.stream({
      model: backend.slug,
      messages: [{ role: 'user', content: 'Weather in Bergen?' }],
      tools: [weatherTool],
    });
    const final = await stream.finalChatCompletion();
    const streamed = final.choices[0]!.message.tool_calls![0]!;
    expect(streamed.type === 'function' && streamed.function.name).toBe('get_weather');
    expect(streamed.type === 'function' && JSON.parse(streamed.function.arguments)).toEqual({ city: 'Bergen' });
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');

    // The tool result goes back through the same path.
    backend.scriptText('It is sunny in Bergen.');
    const answer = await client().chat.completions.create({
      model: backend.slug,
      messages: [
        { role: 'user', content: 'Weather in Bergen?' },
        { role: 'assistant', content: null, tool_calls: [{ id: streamed.id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Bergen"}' } }] },
        { role: 'tool', tool_call_id: streamed.id, content: '{"sky":"clear"}' },
      ],
      tools: [weatherTool],
    });
    expect(answer.choices[0]!.message.content).toBe('It is sunny in Bergen.');
  });

  it('ends a stream whose upstream drops mid-way with an error the SDK raises, not a hang', async () => {
    backend.scriptText('This answer is long enough to be cut off after a few events have gone out.', { dropAfterChunks: backend.dropAfter });
    const stream = await client().chat.completions.create({ model: backend.slug, messages: [{ role: 'user', content: 'Talk.' }], stream: true });
    let text = '';
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    };
    await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(text.length).toBeGreaterThan(0);
  });
});

describe('openai SDK errors', () => {
  it('AuthenticationError for a bad key', async () => {
    const err = await client('sgk_notARealKey000000000000000000000000000000').models.list().catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.status).toBe(401);
    expect(err.code).toBe('invalid_api_key');
  });

  it('PermissionDeniedError without models:use', async () => {
    const err = await client(GUEST_KEY).chat.completions.create({ model: 'via-openai', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
  });

  it('NotFoundError for an unknown model', async () => {
    const err = await client().chat.completions.create({ model: 'gpt-nonexistent', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.code).toBe('model_not_found');
  });

  it('BadRequestError naming the parameter, with nothing sent upstream', async () => {
    const before = fakeOpenAI.requests.length;
    const err = await client().chat.completions.create({ model: 'via-openai', messages: [{ role: 'user', content: 'x' }], n: 2 }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('n');
    const typeErr = await client()
      .chat.completions.create({ model: 'via-openai', messages: [{ role: 'user', content: 'x' }], temperature: 'hot' as unknown as number })
      .catch((e) => e);
    expect(typeErr).toBeInstanceOf(OpenAI.BadRequestError);
    expect(typeErr.param).toBe('temperature');
    expect(fakeOpenAI.requests.length).toBe(before);
  });

  it('RateLimitError with insufficient_quota when the budget is spent', async () => {
    const before = fakeOpenAI.requests.length;
    const err = await client().chat.completions.create({ model: 'via-openai', messages: [{ role: 'user', content: 'x' }], user: 'broke' }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('insufficient_quota');
    expect(fakeOpenAI.requests.length).toBe(before);
  });
});

describe('openai SDK: embeddings and models', () => {
  it('creates embeddings (the SDK asks for base64 and decodes it)', async () => {
    const result = await client().embeddings.create({ model: 'embed', input: ['alpha', 'beta'], dimensions: 6 });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]!.embedding).toHaveLength(6);
    expect(result.data[0]!.embedding.every((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
    expect(result.data[0]!.embedding).not.toEqual(result.data[1]!.embedding);
    const floats = await client().embeddings.create({ model: 'embed', input: 'alpha', dimensions: 6, encoding_format: 'float' });
    // float32 round trip: the base64 values equal the float ones to float32 precision.
    floats.data[0]!.embedding.forEach((v, i) => expect(result.data[0]!.embedding[i]).toBeCloseTo(v, 5));
  });

  it('lists models', async () => {
    const ids: string[] = [];
    for await (const model of client().models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual(['embed', 'via-anthropic', 'via-gemini', 'via-openai']);
  });
});
