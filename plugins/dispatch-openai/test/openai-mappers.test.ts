import { describe, expect, it } from 'vitest';
import { UpstreamError, type ChatRequest } from '@scaigrid/plugin-dispatch';
import {
  extractErrorMessage,
  fromOpenAIChatResponse,
  fromOpenAIChunk,
  fromOpenAIFinishReason,
  openAIStreamChunkBatches,
  openAIStreamChunks,
  parseRetryAfter,
  redactSecrets,
  sseEvents,
  sseEventBatches,
  toOpenAIChatBody,
  type OpenAIChatCompletion,
  type SseEvent,
} from '../src/index.js';
import { collect, testCall } from '../../../test/fakes/dispatch-call.js';
import { Agent } from 'undici';

const text = (t: string) => [{ type: 'text' as const, text: t }];

async function* events(...data: string[]): AsyncGenerator<SseEvent> {
  for (const d of data) yield { data: d };
}

describe('toOpenAIChatBody', () => {
  it('keeps text-only user content as a string, drops reasoning, keeps assistant text beside tool calls', () => {
    const request: ChatRequest = {
      model: 'm',
      messages: [
        { role: 'user', name: 'ann', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'hmm' }, { type: 'text', text: 'Let me check.' }], toolCalls: [{ id: 'c1', name: 'f', arguments: '{"x":1}' }] },
      ],
      toolChoice: { name: 'f' },
      responseFormat: { type: 'json_object' },
    };
    expect(toOpenAIChatBody(request, { stream: false })).toEqual({
      model: 'm',
      messages: [
        { role: 'user', name: 'ann', content: 'ab' },
        { role: 'assistant', content: 'Let me check.', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }] },
      ],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_object' },
    });
  });

  it('never lets extra fields override mapped ones', () => {
    const body = toOpenAIChatBody({ model: 'm', messages: [], extra: { model: 'evil', stream: false, logit_bias: { 1: 2 } } }, { stream: true });
    expect(body).toEqual({ model: 'm', messages: [], logit_bias: { 1: 2 }, stream: true, stream_options: { include_usage: true } });
  });
});

describe('fromOpenAIChatResponse', () => {
  const completion = (message: Record<string, unknown>, finish: string | null = 'stop'): OpenAIChatCompletion =>
    ({ id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message, finish_reason: finish }] }) as unknown as OpenAIChatCompletion;

  it('maps reasoning_content to a reasoning block and a refusal to text', () => {
    expect(fromOpenAIChatResponse(completion({ role: 'assistant', content: 'A', reasoning_content: 'because' })).message.content).toEqual([
      { type: 'reasoning', text: 'because' },
      { type: 'text', text: 'A' },
    ]);
    expect(fromOpenAIChatResponse(completion({ role: 'assistant', content: null, refusal: 'I cannot help' })).message.content).toEqual(text('I cannot help'));
  });

  it('maps every finish reason', () => {
    expect(['stop', 'length', 'tool_calls', 'function_call', 'content_filter', null, 'weird'].map(fromOpenAIFinishReason)).toEqual([
      'stop',
      'length',
      'tool_calls',
      'tool_calls',
      'content_filter',
      'stop',
      'stop',
    ]);
  });

  it('leaves optional usage details out when the upstream has none, and fails on a missing choice', () => {
    const response = fromOpenAIChatResponse({ ...completion({ role: 'assistant', content: 'A' }), usage: { prompt_tokens: 2, completion_tokens: 1 } });
    expect(response.usage).toEqual({ promptTokens: 2, completionTokens: 1 });
    expect(() => fromOpenAIChatResponse({ ...completion({}), choices: [] })).toThrow(UpstreamError);
  });
});

describe('stream mapping', () => {
  it('maps a usage-only chunk with choices: []', () => {
    expect(fromOpenAIChunk({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } })).toEqual([
      { type: 'usage', usage: { promptTokens: 3, completionTokens: 4 } },
    ]);
  });

  it('stops at [DONE] and ignores anything after it', async () => {
    const chunk = JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] });
    expect(await collect(openAIStreamChunks(events(chunk, '[DONE]', chunk)))).toEqual([{ type: 'text', text: 'hi' }]);
  });

  it('reads the events to their end after [DONE] (an upstream body dropped early costs an abort and can lose the socket)', async () => {
    const chunk = JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] });
    let endedNaturally = false;
    async function* upstream(): AsyncGenerator<SseEvent> {
      yield { data: chunk } as SseEvent;
      yield { data: '[DONE]' } as SseEvent;
      endedNaturally = true;
    }
    expect(await collect(openAIStreamChunks(upstream()))).toEqual([{ type: 'text', text: 'hi' }]);
    expect(endedNaturally).toBe(true);
  });

  it('ignores a connection failing after [DONE]: the answer was complete', async () => {
    const chunk = JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] });
    async function* upstream(): AsyncGenerator<SseEvent> {
      yield { data: chunk } as SseEvent;
      yield { data: '[DONE]' } as SseEvent;
      throw new UpstreamError('connect', 'socket hang up');
    }
    expect(await collect(openAIStreamChunks(upstream()))).toEqual([{ type: 'text', text: 'hi' }]);
  });

  it('throws when the events end before [DONE]', async () => {
    const chunk = JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 'stop' }] });
    await expect(collect(openAIStreamChunks(events(chunk), { label: 'p' }))).rejects.toMatchObject({ kind: 'protocol', message: 'p stream ended before [DONE]' });
  });

  it('throws on an error object inside the stream and on non-JSON data', async () => {
    await expect(collect(openAIStreamChunks(events(JSON.stringify({ error: { message: 'overloaded' } }))))).rejects.toMatchObject({ upstreamMessage: 'overloaded' });
    await expect(collect(openAIStreamChunks(events('{oops')))).rejects.toMatchObject({ kind: 'protocol' });
  });

  it('hands on the chunks of one event batch as one array, never an empty one', async () => {
    const chunk = (t: string) => JSON.stringify({ choices: [{ index: 0, delta: { content: t }, finish_reason: null }] });
    const roleOnly = JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] });
    async function* batched() {
      yield [{ data: roleOnly }] as SseEvent[];
      yield [{ data: chunk('a') }, { data: chunk('b') }, { data: roleOnly }] as SseEvent[];
      yield { data: chunk('c') } as SseEvent;
      yield [{ data: '[DONE]' }] as SseEvent[];
    }
    expect(await collect(openAIStreamChunkBatches(batched()))).toEqual([[...text('a'), ...text('b')], text('c')]);
  });

  it('hands on the chunks before a failure in the same batch, then throws', async () => {
    const chunk = (t: string) => JSON.stringify({ choices: [{ index: 0, delta: { content: t }, finish_reason: null }] });
    async function* failing() {
      yield [{ data: chunk('a') }, { data: JSON.stringify({ error: { message: 'overloaded' } }) }, { data: chunk('never') }] as SseEvent[];
    }
    const seen: unknown[] = [];
    const err = await (async () => {
      for await (const batch of openAIStreamChunkBatches(failing())) seen.push(batch);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([text('a')]);
    expect(err).toMatchObject({ upstreamMessage: 'overloaded' });
  });

  it('applies mapChunk to each event', async () => {
    const chunk = JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] });
    const out = await collect(openAIStreamChunks(events(chunk, '[DONE]'), { mapChunk: (chunks) => chunks.map((c) => (c.type === 'text' ? { ...c, text: c.text.toUpperCase() } : c)) }));
    expect(out).toEqual([{ type: 'text', text: 'HI' }]);
  });
});

describe('sseEvents', () => {
  it('parses events split across arbitrary byte boundaries, CRLF and multi-byte characters', async () => {
    const wire = Buffer.from('data: {"a":"é"}\r\n\r\n: comment\n\nevent: named\ndata: x\ndata: y\n\ndata: [DONE]\n\n', 'utf8');
    async function* bytes() {
      for (let i = 0; i < wire.length; i += 3) yield wire.subarray(i, i + 3);
    }
    const call = testCall(new Agent(), { baseUrl: 'http://unused' });
    const out = (await collect(sseEvents(bytes(), call, 'p'))).map(({ event, data }) => ({ event, data }));
    expect(out).toEqual([
      { event: undefined, data: '{"a":"é"}' },
      { event: 'named', data: 'x\ny' },
      { event: undefined, data: '[DONE]' },
    ]);
  });

  it('hands over the events of one body read as one batch, and an event split across reads with the read that completes it', async () => {
    const reads = ['data: 1\n\ndata: 2\n\ndata: 3', '\n\n', 'data: 4\n\ndata: [DONE]\n\n'].map((s) => Buffer.from(s));
    async function* bytes() {
      yield* reads;
    }
    const call = testCall(new Agent(), { baseUrl: 'http://unused' });
    const batches = (await collect(sseEventBatches(bytes(), call, 'p'))).map((batch) => batch.map((e) => e.data));
    expect(batches).toEqual([['1', '2'], ['3'], ['4', '[DONE]']]);
    // The OpenAI mapping reads batches and single events alike.
    const chunk = (t: string) => JSON.stringify({ choices: [{ index: 0, delta: { content: t }, finish_reason: null }] });
    async function* batched() {
      yield [{ data: chunk('a') }, { data: chunk('b') }] as SseEvent[];
      yield [{ data: '[DONE]' }] as SseEvent[];
    }
    expect(await collect(openAIStreamChunks(batched()))).toEqual([...text('a'), ...text('b')]);
  });

  it('drops a byte order mark at the start of the stream, even one split across reads, and only there', async () => {
    const reads = [Buffer.from([0xef]), Buffer.from([0xbb, 0xbf, ...Buffer.from('data: 1\n\n')]), Buffer.from('data: \ufeff2\n\n')];
    async function* bytes() {
      yield* reads;
    }
    const call = testCall(new Agent(), { baseUrl: 'http://unused' });
    expect((await collect(sseEvents(bytes(), call, 'p'))).map((e) => e.data)).toEqual(['1', '\ufeff2']);
  });

  it('dispatches a last event ended by bare CRs at the end of the body, and still drops one without its blank line', async () => {
    const events = async (...reads: string[]) => {
      async function* bytes() {
        for (const read of reads) yield Buffer.from(read);
      }
      const call = testCall(new Agent(), { baseUrl: 'http://unused' });
      return (await collect(sseEvents(bytes(), call, 'p'))).map((e) => e.data);
    };
    expect(await events('data: 1\r\r', 'data: 2\r\r')).toEqual(['1', '2']);
    expect(await events('data: 1\r\rdata: 2\r')).toEqual(['1']);
    expect(await events('data: 1\n\ndata: 2\n')).toEqual(['1']);
  });

  it('turns a failing body into an UpstreamError', async () => {
    async function* broken() {
      yield Buffer.from('data: 1\n\n');
      throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    }
    const call = testCall(new Agent(), { baseUrl: 'http://unused' });
    await expect(collect(sseEvents(broken(), call, 'p'))).rejects.toMatchObject({ kind: 'connect', retryable: true });
  });
});

describe('error helpers', () => {
  it('extracts messages from the common envelopes', () => {
    expect(extractErrorMessage('{"error":{"message":"m1","type":"t"}}')).toBe('m1');
    expect(extractErrorMessage('{"type":"error","error":{"type":"overloaded_error","message":"m2"}}')).toBe('m2');
    expect(extractErrorMessage('{"error":"m3"}')).toBe('m3');
    expect(extractErrorMessage('{"message":"m4"}')).toBe('m4');
    expect(extractErrorMessage('{"detail":"m5"}')).toBe('m5');
    expect(extractErrorMessage('<html>bad gateway</html>')).toBeUndefined();
  });

  it('parses Retry-After as seconds, HTTP date and retry-after-ms', () => {
    expect(parseRetryAfter({ 'retry-after': '12' })).toBe(12);
    expect(parseRetryAfter({ 'retry-after-ms': '1500', 'retry-after': '9' })).toBe(2);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(parseRetryAfter({ 'retry-after': inTenSeconds })).toBeGreaterThanOrEqual(8);
    expect(parseRetryAfter({})).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': 'soon' })).toBeUndefined();
  });

  it('redacts the key and key echoes', () => {
    expect(redactSecrets('bad key sk-abc123 here', 'sk-abc123')).toBe('bad key [redacted] here');
    expect(redactSecrets('Incorrect API key provided: sk-pr****wxyz. See docs.', undefined)).toBe('Incorrect API key provided: [redacted] See docs.');
  });
});
