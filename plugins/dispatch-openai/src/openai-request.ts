/**
 * @module openai-request
 * Pure mapping from the normalized ChatRequest/EmbeddingRequest to OpenAI's request bodies.
 * No I/O, so OpenAI-compatible providers can reuse it and adjust the result with their own
 * `mapRequestBody` instead of re-implementing the translation.
 */
import type { ChatMessage, ChatRequest, ContentBlock, EmbeddingRequest, ResponseFormat, ToolChoice, ToolDefinition } from '@scaigrid/plugin-dispatch';
import type {
  OpenAIChatBody,
  OpenAIContentPart,
  OpenAIEmbeddingsBody,
  OpenAIMessage,
  OpenAIResponseFormat,
  OpenAITool,
  OpenAIToolChoice,
} from './openai-wire.js';

/**
 * Which field carries the output-token limit. OpenAI deprecated `max_tokens` in favour of
 * `max_completion_tokens` (reasoning models reject the old one); many compatible servers
 * still only know `max_tokens`.
 */
export type MaxTokensField = 'max_completion_tokens' | 'max_tokens';

export interface OpenAIChatBodyOptions {
  stream: boolean;
  maxTokensField?: MaxTokensField;
}

/**
 * @example toOpenAIChatBody({ model: 'gpt-4o', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }, { stream: false })
 * // → { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }
 */
export function toOpenAIChatBody(request: ChatRequest, options: OpenAIChatBodyOptions): OpenAIChatBody {
  // Provider-specific extras go first so they can never override the fields we map.
  const body: OpenAIChatBody = { ...(request.extra ?? {}), model: request.model, messages: request.messages.map(toOpenAIMessage) };
  if (request.tools?.length) body.tools = request.tools.map(toOpenAITool);
  if (request.toolChoice !== undefined) body.tool_choice = toOpenAIToolChoice(request.toolChoice);
  if (request.responseFormat !== undefined) body.response_format = toOpenAIResponseFormat(request.responseFormat);
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.maxTokens !== undefined) body[options.maxTokensField ?? 'max_completion_tokens'] = request.maxTokens;
  if (request.stop?.length) body.stop = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.user !== undefined) body.user = request.user;
  if (options.stream) {
    body.stream = true;
    // Always asked for: usage is what accounting bills, and streams report it only on request.
    body.stream_options = { include_usage: true };
  }
  return body;
}

export function toOpenAIMessage(message: ChatMessage): OpenAIMessage {
  const named = message.name !== undefined ? { name: message.name } : {};
  switch (message.role) {
    case 'system':
      return { role: 'system', content: joinText(message.content), ...named };
    case 'tool':
      return { role: 'tool', content: joinText(message.content), tool_call_id: message.toolCallId ?? '' };
    case 'assistant': {
      const text = joinText(message.content);
      const toolCalls = message.toolCalls ?? [];
      const out: Extract<OpenAIMessage, { role: 'assistant' }> = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text, ...named };
      if (toolCalls.length > 0) {
        out.tool_calls = toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
      }
      return out;
    }
    case 'user':
      return { role: 'user', content: toUserContent(message.content), ...named };
  }
}

/** A plain string when the message is text only (the common, smallest form), parts otherwise. */
function toUserContent(blocks: ContentBlock[]): string | OpenAIContentPart[] {
  if (blocks.every((b) => b.type !== 'image')) return joinText(blocks);
  const parts: OpenAIContentPart[] = [];
  for (const block of blocks) {
    if (block.type === 'text') parts.push({ type: 'text', text: block.text });
    else if (block.type === 'image') {
      parts.push({ type: 'image_url', image_url: block.detail ? { url: block.url, detail: block.detail } : { url: block.url } });
    }
  }
  return parts;
}

/** Text blocks only: reasoning is the model's own output and is not sent back. */
function joinText(blocks: ContentBlock[]): string {
  let text = '';
  for (const block of blocks) if (block.type === 'text') text += block.text;
  return text;
}

export function toOpenAITool(tool: ToolDefinition): OpenAITool {
  const fn: OpenAITool['function'] = { name: tool.name, parameters: tool.parameters };
  if (tool.description !== undefined) fn.description = tool.description;
  if (tool.strict !== undefined) fn.strict = tool.strict;
  return { type: 'function', function: fn };
}

export function toOpenAIToolChoice(choice: ToolChoice): OpenAIToolChoice {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

export function toOpenAIResponseFormat(format: ResponseFormat): OpenAIResponseFormat {
  if (format.type !== 'json_schema') return { type: format.type };
  const schema: { name: string; schema: Record<string, unknown>; strict?: boolean } = { name: format.name, schema: format.schema };
  if (format.strict !== undefined) schema.strict = format.strict;
  return { type: 'json_schema', json_schema: schema };
}

export function toOpenAIEmbeddingsBody(request: EmbeddingRequest): OpenAIEmbeddingsBody {
  const body: OpenAIEmbeddingsBody = { model: request.model, input: request.input, encoding_format: 'float' };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  if (request.user !== undefined) body.user = request.user;
  return body;
}
