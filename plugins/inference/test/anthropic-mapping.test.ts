/**
 * The Anthropic adapter's pure parts: request mapping, the message object, the stream
 * encoder's block bookkeeping and the error table, on cases the HTTP tests do not reach.
 */
import { describe, expect, it } from 'vitest';
import { toAnthropicError } from '../src/anthropic/anthropic-errors.js';
import { toChatRequest } from '../src/anthropic/anthropic-request-mapping.js';
import { anthropicMessagesRequestSchema } from '../src/anthropic/anthropic-request-schema.js';
import { toAnthropicMessage, toAnthropicUsage, toToolInput } from '../src/anthropic/anthropic-response-mapping.js';
import { AnthropicStreamEncoder } from '../src/anthropic/anthropic-stream-encoder.js';
import type { ChatChunk } from '../src/chat-model.js';

const identity = { id: 'msg_abc', model: 'slug', includeThinking: false };

function encodeAll(encoder: AnthropicStreamEncoder, chunks: ChatChunk[]) {
  const events = [...encoder.start(10), ...chunks.flatMap((c) => encoder.encode(c)), ...encoder.finish({ promptTokens: 10, completionTokens: 4 })];
  return events.map((e) => ({ event: e.event, ...JSON.parse(e.data) }));
}

describe('request mapping', () => {
  it('maps assistant thinking to reasoning, drops redacted thinking, and keeps an empty tool-result turn out', () => {
    const body = anthropicMessagesRequestSchema.parse({
      model: 'm',
      max_tokens: 9,
      tool_choice: { type: 'any' },
      tools: [{ name: 't', input_schema: { type: 'object' } }],
      messages: [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'xxx' },
            { type: 'tool_use', id: 'a', name: 't', input: {} },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'a', is_error: true }] },
      ],
    });
    const request = toChatRequest(body);
    expect(request.toolChoice).toBe('required');
    expect(request.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'reasoning', text: 'hmm' }], toolCalls: [{ id: 'a', name: 't', arguments: '{}' }] });
    // A tool result alone makes no empty user message after it; an error with no text still says so.
    expect(request.messages.slice(2)).toEqual([{ role: 'tool', toolCallId: 'a', content: [{ type: 'text', text: 'Error:' }] }]);
  });
});

describe('message object', () => {
  it('puts thinking first only when asked, and keeps arguments that are not an object', () => {
    const response = {
      model: 'up',
      finishReason: 'length' as const,
      message: { role: 'assistant' as const, content: [{ type: 'text' as const, text: 'Hi' }, { type: 'reasoning' as const, text: 'why' }], toolCalls: [{ id: 'c', name: 'f', arguments: '[1]' }] },
    };
    const usage = { promptTokens: 10, completionTokens: 2, cachedPromptTokens: 4 };
    const plain = toAnthropicMessage(response, identity, usage);
    expect(plain.content.map((b) => b.type)).toEqual(['text', 'tool_use']);
    expect(plain.stop_reason).toBe('max_tokens');
    expect(plain.usage).toEqual({ input_tokens: 6, output_tokens: 2, cache_read_input_tokens: 4 });
    expect(plain.content[1]).toEqual({ type: 'tool_use', id: 'c', name: 'f', input: { _raw: '[1]' } });
    const thinking = toAnthropicMessage(response, { ...identity, includeThinking: true }, usage);
    expect(thinking.content[0]).toEqual({ type: 'thinking', thinking: 'why', signature: '' });
    expect(toToolInput('')).toEqual({});
    expect(toAnthropicUsage({ promptTokens: 3, completionTokens: 1 })).toEqual({ input_tokens: 3, output_tokens: 1 });
  });
});

describe('stream encoder', () => {
  it('opens a block per kind and per tool call, numbering them in order', () => {
    const events = encodeAll(new AnthropicStreamEncoder({ ...identity, includeThinking: true }), [
      { type: 'reasoning', text: 'think' },
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
      { type: 'tool_call', index: 0, id: 'c0', name: 'f', argumentsDelta: '' },
      { type: 'tool_call', index: 0, argumentsDelta: '{"x":1}' },
      { type: 'tool_call', index: 1, id: 'c1', name: 'g', argumentsDelta: '{}' },
      { type: 'finish', finishReason: 'tool_calls' },
      { type: 'usage', usage: { promptTokens: 10, completionTokens: 4 } },
    ]);
    expect(events.map((e) => [e.event, e.index ?? null])).toEqual([
      ['message_start', null],
      ['ping', null],
      ['content_block_start', 0],
      ['content_block_delta', 0],
      ['content_block_stop', 0],
      ['content_block_start', 1],
      ['content_block_delta', 1],
      ['content_block_delta', 1],
      ['content_block_stop', 1],
      ['content_block_start', 2],
      ['content_block_delta', 2],
      ['content_block_stop', 2],
      ['content_block_start', 3],
      ['content_block_delta', 3],
      ['content_block_stop', 3],
      ['message_delta', null],
      ['message_stop', null],
    ]);
    expect(events[2].content_block).toEqual({ type: 'thinking', thinking: '', signature: '' });
    expect(events[9].content_block).toEqual({ type: 'tool_use', id: 'c0', name: 'f', input: {} });
    expect(events[10].delta).toEqual({ type: 'input_json_delta', partial_json: '{"x":1}' });
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { input_tokens: 10, output_tokens: 4 } });
  });

  it('drops reasoning unless thinking was asked for, and infers tool_use without a finish chunk', () => {
    const events = encodeAll(new AnthropicStreamEncoder(identity), [
      { type: 'reasoning', text: 'hidden' },
      { type: 'tool_call', index: 0, name: 'f', argumentsDelta: '{}' },
    ]);
    expect(events.filter((e) => e.event === 'content_block_start').map((e) => e.content_block.type)).toEqual(['tool_use']);
    // A provider that gives no id still yields a usable, unique one.
    expect(events[2].content_block.id).toMatch(/^toolu_/);
    expect(events.at(-2).delta.stop_reason).toBe('tool_use');
  });

  it('sends an empty message (no blocks) when nothing came back', () => {
    const events = encodeAll(new AnthropicStreamEncoder(identity), [{ type: 'finish', finishReason: 'stop' }]);
    expect(events.map((e) => e.event)).toEqual(['message_start', 'ping', 'message_delta', 'message_stop']);
  });
});

describe('errors', () => {
  it.each([
    [{ code: 'BUDGET_EXCEEDED', status: 402 }, 429, 'rate_limit_error'],
    [{ code: 'RATE_LIMITED', status: 429 }, 429, 'rate_limit_error'],
    [{ code: 'UPSTREAM_UNAVAILABLE', status: 503 }, 529, 'overloaded_error'],
    [{ code: 'DRAINING', status: 503 }, 503, 'overloaded_error'],
    [{ code: 'UPSTREAM_ERROR', status: 502, details: { upstreamStatus: 500 } }, 502, 'api_error'],
    [{ code: 'UPSTREAM_ERROR', status: 502, details: { upstreamStatus: 503 } }, 529, 'overloaded_error'],
    [{ code: 'UPSTREAM_TIMEOUT', status: 504 }, 504, 'api_error'],
    [{ code: 'PAYLOAD_TOO_LARGE', status: 413 }, 413, 'request_too_large'],
    [{ code: 'CLIENT_CLOSED', status: 499 }, 499, 'invalid_request_error'],
    [{ code: 'SOMETHING_NEW', status: 409 }, 409, 'invalid_request_error'],
  ])('%o → %i %s', (error, status, type) => {
    const out = toAnthropicError({ message: 'm', ...error }, 'req-1');
    expect(out).toEqual({ status, body: { type: 'error', error: { type, message: 'm' }, request_id: 'req-1' } });
  });
});
