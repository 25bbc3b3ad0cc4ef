import { describe, expect, it } from 'vitest';
import type { ChatRequest, DispatchCall, UpstreamError } from '@scaigrid/plugin-dispatch';
import { collectChunks } from '../../../test/fakes/dispatch-call.js';
import { MockDispatcher, mockEmbedding } from '../src/index.js';

const mock = new MockDispatcher();

function call(options: Record<string, unknown> = {}, signal = new AbortController().signal): DispatchCall {
  return {
    target: { provider: { id: 'mock', kind: 'mock', baseUrl: '', options: {}, timeoutMs: 1000 }, model: 'echo', options },
    signal,
    http: undefined as never,
    requestId: 'req-1',
  };
}

const user = (text: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'echo',
  messages: [
    { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
    { role: 'user', content: [{ type: 'text', text }] },
  ],
  ...extra,
});

const weatherTool = { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

describe('mock chat', () => {
  it('echoes the last user message and counts ceil(chars/4) tokens', async () => {
    const res = await mock.chat(user('hello there, gateway'), call());
    expect(res.message).toEqual({ role: 'assistant', content: [{ type: 'text', text: 'hello there, gateway' }] });
    expect(res.finishReason).toBe('stop');
    // 'Be brief.' 9 chars → 3, 'hello there, gateway' 20 chars → 5.
    expect(res.usage).toEqual({ promptTokens: 8, completionTokens: 5 });
    expect(await mock.chat(user('hello there, gateway'), call())).toEqual(res);
  });

  it('cuts at maxTokens with finish reason length', async () => {
    const res = await mock.chat(user('one two three four five six', { maxTokens: 2 }), call());
    expect(res.message.content).toEqual([{ type: 'text', text: 'one two ' }]);
    expect(res.finishReason).toBe('length');
    expect(res.usage?.completionTokens).toBe(2);
  });

  it('calls a tool the request offers when asked to, with {} or the given JSON arguments', async () => {
    const res = await mock.chat(user('please call get_weather now', { tools: [weatherTool] }), call());
    expect(res.finishReason).toBe('tool_calls');
    expect(res.message.toolCalls).toHaveLength(1);
    expect(res.message.toolCalls![0]).toMatchObject({ name: 'get_weather', arguments: '{}' });
    expect(res.message.toolCalls![0].id).toMatch(/^call_[0-9a-f]{24}$/);
    const withArgs = await mock.chat(user('call get_weather {"city":"Oslo"}', { tools: [weatherTool] }), call());
    expect(withArgs.message.toolCalls![0].arguments).toBe('{"city":"Oslo"}');
  });

  it('does not call tools that are not offered, or when tool choice is none', async () => {
    expect((await mock.chat(user('call get_weather'), call())).message.toolCalls).toBeUndefined();
    expect((await mock.chat(user('call other_tool', { tools: [weatherTool] }), call())).finishReason).toBe('stop');
    expect((await mock.chat(user('call get_weather', { tools: [weatherTool], toolChoice: 'none' }), call())).finishReason).toBe('stop');
  });

  it('answers a tool result with its content, ending the loop', async () => {
    const request = user('call get_weather', { tools: [weatherTool] });
    request.messages.push(
      { role: 'assistant', content: [], toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'c1', content: [{ type: 'text', text: 'sunny, 21C' }] },
    );
    const res = await mock.chat(request, call());
    expect(res.message.content).toEqual([{ type: 'text', text: 'tool result: sunny, 21C' }]);
    expect(res.finishReason).toBe('stop');
  });

  it('fails with failStatus as an upstream would', async () => {
    const err = (await mock.chat(user('x'), call({ failStatus: 503 })).catch((e: unknown) => e)) as UpstreamError;
    expect(err.name).toBe('UpstreamError');
    expect(err.status).toBe(503);
    expect(err.retryable).toBe(true);
    const bad = (await mock.chat(user('x'), call({ failStatus: 400 })).catch((e: unknown) => e)) as UpstreamError;
    expect(bad.retryable).toBe(false);
  });

  it('waits latencyMs, and stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = mock.chat(user('x'), call({ latencyMs: 10_000 }, controller.signal));
    setTimeout(() => controller.abort(new Error('gone')), 20);
    await expect(pending).rejects.toThrow('gone');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('mock stream', () => {
  it('streams the text as several chunks, then finish, then usage', async () => {
    const chunks = await collectChunks(await mock.chatStream(user('the quick brown fox'), call()));
    expect(chunks).toEqual([
      { type: 'text', text: 'the ' },
      { type: 'text', text: 'quick ' },
      { type: 'text', text: 'brown ' },
      { type: 'text', text: 'fox' },
      { type: 'finish', finishReason: 'stop' },
      { type: 'usage', usage: { promptTokens: 8, completionTokens: 5 } },
    ]);
  });

  it('streams a tool call as a start and argument deltas', async () => {
    const chunks = await collectChunks(await mock.chatStream(user('call get_weather {"city":"Oslo"}', { tools: [weatherTool] }), call()));
    const calls = chunks.filter((c) => c.type === 'tool_call');
    expect(calls[0]).toMatchObject({ index: 0, name: 'get_weather', argumentsDelta: '' });
    expect(calls.map((c) => (c.type === 'tool_call' ? c.argumentsDelta : '')).join('')).toBe('{"city":"Oslo"}');
    expect(calls.length).toBeGreaterThan(2);
    expect(chunks.at(-2)).toEqual({ type: 'finish', finishReason: 'tool_calls' });
  });
});

describe('mock embeddings', () => {
  it('are deterministic unit vectors of the requested size', async () => {
    const res = await mock.embeddings({ model: 'echo-embed', input: ['alpha', 'beta', 'alpha'], dimensions: 40 }, call());
    expect(res.embeddings).toHaveLength(3);
    expect(res.embeddings[0]).toHaveLength(40);
    expect(res.embeddings[0]).toEqual(res.embeddings[2]);
    expect(res.embeddings[0]).not.toEqual(res.embeddings[1]);
    expect(Math.hypot(...res.embeddings[1])).toBeCloseTo(1, 10);
    expect(res.embeddings[1]).toEqual(mockEmbedding('beta', 40));
    expect(res.usage).toEqual({ promptTokens: 5, completionTokens: 0 });
    expect((await mock.embeddings({ model: 'e', input: ['x'] }, call())).embeddings[0]).toHaveLength(8);
  });
});
