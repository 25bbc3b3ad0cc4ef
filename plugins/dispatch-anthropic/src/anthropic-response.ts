/**
 * @module anthropic-response
 * Pure mapping from Anthropic's message object to the normalized ChatResponse: text blocks
 * concatenate into text, thinking becomes reasoning, tool_use becomes a tool call whose
 * arguments are the JSON string of its input. Usage is normalized so that promptTokens
 * counts every input token, as OpenAI's does: Anthropic reports cache reads and cache writes
 * apart from `input_tokens`.
 */
import { UpstreamError, type ChatResponse, type ContentBlock, type FinishReason, type ToolCall, type Usage } from '@scaigrid/plugin-dispatch';
import type { AnthropicMessageResponse, AnthropicUsage } from './anthropic-wire.js';

export function fromAnthropicMessage(message: AnthropicMessageResponse): ChatResponse {
  if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) {
    throw new UpstreamError('protocol', 'Upstream message has no content array');
  }
  const content: ContentBlock[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of message.content) {
    if (block.type === 'text') content.push({ type: 'text', text: block.text });
    else if (block.type === 'thinking') content.push({ type: 'reasoning', text: block.thinking });
    else if (block.type === 'tool_use') toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
  }
  const response: ChatResponse = {
    model: message.model,
    message: toolCalls.length > 0 ? { role: 'assistant', content, toolCalls } : { role: 'assistant', content },
    finishReason: fromAnthropicStopReason(message.stop_reason),
  };
  if (message.id) response.id = message.id;
  if (message.usage) response.usage = fromAnthropicUsage(message.usage);
  return response;
}

export function fromAnthropicStopReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn
      return 'stop';
  }
}

export function fromAnthropicUsage(usage: AnthropicUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const cacheWrite = usage.cache_creation_input_tokens ?? 0;
  const out: Usage = { promptTokens: (usage.input_tokens ?? 0) + cacheRead + cacheWrite, completionTokens: usage.output_tokens ?? 0 };
  if (usage.cache_read_input_tokens != null) out.cachedPromptTokens = cacheRead;
  return out;
}
