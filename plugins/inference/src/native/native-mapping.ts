/**
 * @module native/native-mapping
 * Native JSON ⇄ the internal model: snake_case on the wire, camelCase inside, otherwise the
 * same shapes. Pure functions.
 */
import type { ChatChunk, ChatRequest, ChatResponse, ContentBlock, Usage } from '../chat-model.js';
import type { NativeChatRequest } from './native-schema.js';

export function fromNativeRequest(body: NativeChatRequest): ChatRequest {
  const request: ChatRequest = {
    model: body.model,
    messages: body.messages.map((m) => {
      const content: ContentBlock[] = typeof m.content === 'string' ? (m.content === '' ? [] : [{ type: 'text', text: m.content }]) : m.content;
      return {
        role: m.role,
        content,
        ...(m.tool_calls?.length ? { toolCalls: m.tool_calls } : {}),
        ...(m.tool_call_id ? { toolCallId: m.tool_call_id } : {}),
        ...(m.name ? { name: m.name } : {}),
      };
    }),
  };
  if (body.tools?.length) request.tools = body.tools.map((t) => ({ ...t, parameters: t.parameters ?? { type: 'object', properties: {} } }));
  if (body.tool_choice) request.toolChoice = body.tool_choice;
  if (body.response_format) request.responseFormat = body.response_format;
  if (body.temperature !== undefined) request.temperature = body.temperature;
  if (body.top_p !== undefined) request.topP = body.top_p;
  if (body.max_tokens !== undefined) request.maxTokens = body.max_tokens;
  if (body.stop !== undefined) request.stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (body.seed !== undefined) request.seed = body.seed;
  if (body.user) request.user = body.user;
  if (body.extra) request.extra = body.extra;
  return request;
}

export interface NativeUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** True when the upstream reported none and the gateway estimated it. */
  estimated: boolean;
}

export function toNativeUsage(usage: Usage, estimated: boolean): NativeUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    estimated,
  };
}

export function toNativeResponse(response: ChatResponse, identity: { id: string; model: string; requestId: string }, usage: NativeUsage) {
  return {
    id: identity.id,
    object: 'chat.response' as const,
    model: identity.model,
    message: {
      role: 'assistant' as const,
      content: response.message.content,
      ...(response.message.toolCalls?.length ? { tool_calls: response.message.toolCalls } : {}),
    },
    finish_reason: response.finishReason,
    usage,
    request_id: identity.requestId,
  };
}

/** A streamed chunk as the native `chunk` event's data; finish and usage go into `done` instead. */
export function toNativeChunk(chunk: ChatChunk): Record<string, unknown> | undefined {
  switch (chunk.type) {
    case 'text':
    case 'reasoning':
      return { type: chunk.type, text: chunk.text };
    case 'tool_call':
      return {
        type: 'tool_call',
        index: chunk.index,
        ...(chunk.id !== undefined ? { id: chunk.id } : {}),
        ...(chunk.name !== undefined ? { name: chunk.name } : {}),
        arguments_delta: chunk.argumentsDelta,
      };
    default:
      return undefined;
  }
}
