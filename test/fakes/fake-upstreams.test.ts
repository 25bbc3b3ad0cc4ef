/**
 * The fakes are only useful if the official SDKs accept them as the real thing: these tests
 * drive each fake with its provider's SDK (whole answers, streams with usage, tool calls,
 * errors with Retry-After) and check what the fake recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai.js';
import { startFakeAnthropic, type FakeAnthropic } from './fake-anthropic.js';

describe('fake OpenAI with the openai SDK', () => {
  let fake: FakeOpenAI;
  let client: OpenAI;
  beforeAll(async () => {
    fake = await startFakeOpenAI({ apiKey: 'sk-fake' });
    client = new OpenAI({ apiKey: 'sk-fake', baseURL: fake.url, maxRetries: 0 });
  });
  afterAll(() => fake.close());

  it('answers a completion, a stream with usage, tool calls, embeddings and models', async () => {
    fake.script({ text: 'Hello SDK', usage: { prompt_tokens: 5, completion_tokens: 2 } });
    const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] });
    expect(completion.choices[0].message.content).toBe('Hello SDK');
    expect(completion.usage?.total_tokens).toBe(7);
    expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer sk-fake');

    fake.script({ text: 'streamed words here' });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('streamed words here');
    expect(usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number) });

    fake.script({ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] });
    const runner = client.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather?' }], tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }] });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0].message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } });
    expect(final.choices[0].finish_reason).toBe('tool_calls');

    const embeddings = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 3 });
    expect(embeddings.data.map((d) => d.embedding.length)).toEqual([3, 3]);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['gpt-4o-mini']);
  });

  it('raises the SDK errors for 429 (with Retry-After), 400 and a wrong key', async () => {
    fake.script({ status: 429, retryAfter: 3 }, { status: 400, message: 'bad temperature' });
    const rate = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(rate).toBeInstanceOf(OpenAI.RateLimitError);
    expect((rate as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('3');
    const bad = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as Error).message).toContain('bad temperature');
    const wrong = new OpenAI({ apiKey: 'sk-wrong', baseURL: fake.url, maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('fake Anthropic with the @anthropic-ai/sdk', () => {
  let fake: FakeAnthropic;
  let client: Anthropic;
  beforeAll(async () => {
    fake = await startFakeAnthropic({ apiKey: 'ant-fake' });
    client = new Anthropic({ apiKey: 'ant-fake', baseURL: fake.url, maxRetries: 0 });
  });
  afterAll(() => fake.close());

  it('answers a message, and a stream with thinking and a tool call', async () => {
    fake.script({ text: 'Hello SDK' });
    const message = await client.messages.create({ model: 'claude-x', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] });
    expect(message.content).toEqual([{ type: 'text', text: 'Hello SDK' }]);
    expect(fake.requests.at(-1)!.headers['anthropic-version']).toBe('2023-06-01');

    fake.script({ thinking: 'hmm', text: 'Checking', toolCalls: [{ name: 'f', input: { a: 1 } }] });
    const final = await client.messages.stream({ model: 'claude-x', max_tokens: 50, messages: [{ role: 'user', content: 'Hi' }] }).finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use']);
    expect(final.content[2]).toMatchObject({ type: 'tool_use', name: 'f', input: { a: 1 } });
    expect(final.stop_reason).toBe('tool_use');
  });

  it('raises the SDK errors for 429 and 529', async () => {
    fake.script({ status: 429, retryAfter: 4 }, { status: 529 });
    await expect(client.messages.create({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    const overloaded = await client.messages.create({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(overloaded).toMatchObject({ status: 529 });
  });
});
