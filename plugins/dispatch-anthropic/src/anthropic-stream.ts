/**
 * @module anthropic-stream
 * Turns Anthropic's named stream events into normalized ChatChunks as they arrive. Input
 * tokens come in `message_start`, output tokens (cumulative) in `message_delta`, so usage is
 * emitted once, after the finish reason. Tool calls are numbered 0, 1… in the order they
 * start, whatever their content-block index, as OpenAI-shaped clients expect. The stream is
 * complete only at `message_stop`; an `error` event or an early end throws.
 */
import { UpstreamError, type ChatChunk, type Usage } from '@scaigrid/plugin-dispatch';
import type { SseEvent } from '@scaigrid/plugin-dispatch';
import type { AnthropicStreamEvent, AnthropicUsage } from './anthropic-wire.js';
import { fromAnthropicStopReason, fromAnthropicUsage } from './anthropic-response.js';

/** HTTP status Anthropic uses for each error type, so a mid-stream error is classified like a response one. */
const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

/**
 * @example for await (const chunk of anthropicStreamChunks(sseEvents(res.body, call, label), label)) process(chunk);
 */
export async function* anthropicStreamChunks(events: AsyncIterable<SseEvent>, label = 'upstream'): AsyncGenerator<ChatChunk> {
  let usage: AnthropicUsage = {};
  const toolIndexByBlock = new Map<number, number>();
  for await (const sse of events) {
    let event: AnthropicStreamEvent;
    try {
      event = JSON.parse(sse.data) as AnthropicStreamEvent;
    } catch {
      throw new UpstreamError('protocol', `${label} sent a stream event that is not JSON`);
    }
    switch (event.type) {
      case 'message_start':
        usage = { ...event.message?.usage };
        break;
      case 'content_block_start': {
        const block = event.content_block;
        if (block.type === 'tool_use') {
          const index = toolIndexByBlock.size;
          toolIndexByBlock.set(event.index, index);
          const input = block.input && typeof block.input === 'object' && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
          yield { type: 'tool_call', index, id: block.id, name: block.name, argumentsDelta: input };
        } else if (block.type === 'text' && block.text) yield { type: 'text', text: block.text };
        else if (block.type === 'thinking' && block.thinking) yield { type: 'reasoning', text: block.thinking };
        break;
      }
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta.type === 'text_delta') yield { type: 'text', text: delta.text };
        else if (delta.type === 'thinking_delta') yield { type: 'reasoning', text: delta.thinking };
        else if (delta.type === 'input_json_delta') {
          const index = toolIndexByBlock.get(event.index);
          if (index === undefined) throw new UpstreamError('protocol', `${label} sent input_json_delta for block ${event.index}, which is not a tool_use`);
          yield { type: 'tool_call', index, argumentsDelta: delta.partial_json };
        }
        break;
      }
      case 'message_delta':
        if (event.delta?.stop_reason) yield { type: 'finish', finishReason: fromAnthropicStopReason(event.delta.stop_reason) };
        usage = { ...usage, ...definedOnly(event.usage ?? {}) };
        yield { type: 'usage', usage: fromAnthropicUsage(usage) satisfies Usage };
        break;
      case 'message_stop':
        return;
      case 'error': {
        const type = event.error?.type ?? 'api_error';
        const message = event.error?.message ?? 'stream error';
        throw new UpstreamError('http', `${label} reported ${type} mid-stream: ${message}`, ERROR_STATUS[type] ?? 500, undefined, message);
      }
      default:
        // ping, content_block_stop and event types added later carry nothing we map.
        break;
    }
  }
  throw new UpstreamError('protocol', `${label} stream ended before message_stop`);
}

/** message_delta repeats only the usage fields it updates; nulls must not erase message_start's. */
function definedOnly(usage: AnthropicUsage): AnthropicUsage {
  return Object.fromEntries(Object.entries(usage).filter(([, value]) => value !== undefined && value !== null)) as AnthropicUsage;
}
