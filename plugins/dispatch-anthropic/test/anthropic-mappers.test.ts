import { describe, expect, it } from 'vitest';
import { isGatewayError } from '@scaigrid/kernel';
import { UpstreamError, type ChatRequest } from '@scaigrid/plugin-dispatch';
import type { SseEvent } from '@scaigrid/plugin-dispatch';
import {
  anthropicStreamChunks,
  fromAnthropicMessage,
  fromAnthropicStopReason,
  fromAnthropicUsage,
  messagesUrl,
  toAnthropicBody,
  toAnthropicToolChoice,
} from '../src/index.js';
import { collect } from '../../../test/fakes/dispatch-call.js';

const text = (t: string) => [{ type: 'text' as const, text: t }];
const options = { stream: false, defaultMaxTokens: 4096 };

async function* events(...data: object[]): AsyncGenerator<SseEvent> {
  for (const d of data) yield { event: (d as { type: string }).type, data: JSON.stringify(d) };
}

describe('toAnthropicBody', () => {
  it('lifts system messages, merges same-role turns and puts tool results first in their user turn', () => {
    const request: ChatRequest = {
      model: 'claude',
      messages: [
        { role: 'system', content: text('Rule one.') },
        { role: 'user', content: text('Hi') },
        { role: 'user', content: [{ type: 'image', url: 'data:image/png;base64,iVBOR' }, { type: 'image', url: 'https://x.test/a.jpg' }] },
        { role: 'system', content: text('Rule two.') },
        { role: 'assistant', content: [{ type: 'reasoning', text: 'thinking...' }, ...text('Checking.')], toolCalls: [{ id: 't1', name: 'a', arguments: '{"q":1}' }, { id: 't2', name: 'b', arguments: '' }] },
        { role: 'tool', toolCallId: 't1', content: text('one') },
        { role: 'tool', toolCallId: 't2', content: [] },
        { role: 'user', content: text('And?') },
        { role: 'assistant', content: text('') },
      ],
      maxTokens: 100,
      stop: ['##'],
      temperature: 0.5,
      topP: 0.8,
      user: 'end-user-7',
      seed: 1,
    };
    expect(toAnthropicBody(request, options)).toEqual({
      model: 'claude',
      max_tokens: 100,
      system: 'Rule one.\n\nRule two.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hi' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
            { type: 'image', source: { type: 'url', url: 'https://x.test/a.jpg' } },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 't1', name: 'a', input: { q: 1 } },
            { type: 'tool_use', id: 't2', name: 'b', input: {} },
          ],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 't1', content: 'one' }, { type: 'tool_result', tool_use_id: 't2' }, { type: 'text', text: 'And?' }],
        },
      ],
      stop_sequences: ['##'],
      temperature: 0.5,
      top_p: 0.8,
      metadata: { user_id: 'end-user-7' },
    });
  });

  it('uses the default max_tokens, sets stream, and sends tool_choice only with tools', () => {
    const base: ChatRequest = { model: 'c', messages: [{ role: 'user', content: text('x') }], toolChoice: 'required' };
    expect(toAnthropicBody(base, { stream: true, defaultMaxTokens: 321 })).toEqual({
      model: 'c',
      max_tokens: 321,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }],
      stream: true,
    });
    const withTools = toAnthropicBody({ ...base, tools: [{ name: 'f', description: 'does f', parameters: { type: 'object' }, strict: true }] }, options);
    expect(withTools.tools).toEqual([{ name: 'f', description: 'does f', input_schema: { type: 'object' } }]);
    expect(withTools.tool_choice).toEqual({ type: 'any' });
  });

  it('maps every tool choice', () => {
    expect(['auto', 'none', 'required', { name: 'f' }].map((c) => toAnthropicToolChoice(c as never))).toEqual([
      { type: 'auto' },
      { type: 'none' },
      { type: 'any' },
      { type: 'tool', name: 'f' },
    ]);
  });

  it('rejects tool call arguments that are not a JSON object with VALIDATION_ERROR naming the field', () => {
    for (const args of ['{not json', '[1,2]', '"str"']) {
      const request: ChatRequest = { model: 'c', messages: [{ role: 'user', content: text('x') }, { role: 'assistant', content: [], toolCalls: [{ id: 't', name: 'f', arguments: args }] }] };
      let caught: unknown;
      try {
        toAnthropicBody(request, options);
      } catch (err) {
        caught = err;
      }
      expect(isGatewayError(caught)).toBe(true);
      expect(caught).toMatchObject({ code: 'VALIDATION_ERROR', status: 400, details: { field: 'messages[1].tool_calls[0].function.arguments' } });
    }
  });
});

describe('fromAnthropicMessage', () => {
  it('maps text, thinking and tool_use blocks, stop reason and usage with cache tokens', () => {
    const response = fromAnthropicMessage({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [
        { type: 'thinking', thinking: 'Let me see', signature: 's' },
        { type: 'text', text: 'Calling.' },
        { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: [1, 2] } },
        { type: 'redacted_thinking', data: 'xx' },
      ],
      stop_reason: 'tool_use',
      usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 },
    });
    expect(response).toEqual({
      id: 'msg_1',
      model: 'claude',
      message: { role: 'assistant', content: [{ type: 'reasoning', text: 'Let me see' }, { type: 'text', text: 'Calling.' }], toolCalls: [{ id: 'toolu_1', name: 'f', arguments: '{"a":[1,2]}' }] },
      finishReason: 'tool_calls',
      usage: { promptTokens: 130, completionTokens: 5, cachedPromptTokens: 100 },
    });
  });

  it('maps every stop reason', () => {
    expect(['end_turn', 'stop_sequence', 'max_tokens', 'tool_use', 'refusal', 'pause_turn', 'model_context_window_exceeded', null].map(fromAnthropicStopReason)).toEqual([
      'stop',
      'stop',
      'length',
      'tool_calls',
      'content_filter',
      'stop',
      'length',
      'stop',
    ]);
    expect(fromAnthropicUsage({ input_tokens: 3, output_tokens: 2 })).toEqual({ promptTokens: 3, completionTokens: 2 });
  });
});

describe('anthropicStreamChunks', () => {
  const start = { type: 'message_start', message: { id: 'm', type: 'message', role: 'assistant', model: 'c', content: [], stop_reason: null, usage: { input_tokens: 25, output_tokens: 1, cache_read_input_tokens: 5 } } };

  it('numbers tool calls from 0 whatever their block index, and emits usage from start + delta', async () => {
    const out = await collect(
      anthropicStreamChunks(
        events(
          start,
          { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
          { type: 'ping' },
          { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
          { type: 'content_block_stop', index: 0 },
          { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_a', name: 'f', input: {} } },
          { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":' } },
          { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '1}' } },
          { type: 'content_block_stop', index: 1 },
          { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 15 } },
          { type: 'message_stop' },
          { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'after stop' } },
        ),
      ),
    );
    expect(out).toEqual([
      { type: 'text', text: 'Hi' },
      { type: 'tool_call', index: 0, id: 'toolu_a', name: 'f', argumentsDelta: '' },
      { type: 'tool_call', index: 0, argumentsDelta: '{"a":' },
      { type: 'tool_call', index: 0, argumentsDelta: '1}' },
      { type: 'finish', finishReason: 'tool_calls' },
      { type: 'usage', usage: { promptTokens: 30, completionTokens: 15, cachedPromptTokens: 5 } },
    ]);
  });

  it('throws a retryable 529 on an overloaded error event and a protocol error on an early end', async () => {
    const err = await collect(anthropicStreamChunks(events(start, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ kind: 'http', status: 529, retryable: true, upstreamMessage: 'Overloaded' });
    await expect(collect(anthropicStreamChunks(events(start), 'p'))).rejects.toMatchObject({ kind: 'protocol', message: 'p stream ended before message_stop' });
  });
});

describe('messagesUrl', () => {
  it('accepts the base URL with or without /v1', () => {
    expect(messagesUrl('https://api.anthropic.com')).toBe('https://api.anthropic.com/v1/messages');
    expect(messagesUrl('https://proxy.test/anthropic/v1/')).toBe('https://proxy.test/anthropic/v1/messages');
  });
});
