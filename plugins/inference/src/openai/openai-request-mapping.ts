/**
 * @module openai/openai-request-mapping
 * OpenAI Chat Completions / Embeddings request → the internal model. Pure functions: the
 * body is already validated by openai-request-schema. `developer` becomes `system`, content
 * parts become blocks, tool calls keep their JSON-string arguments, and OpenAI-only knobs
 * the internal model lacks travel in `extra`.
 */
import type { ChatMessage, ChatRequest, ContentBlock, EmbeddingRequest, ResponseFormat, ToolChoice } from '../chat-model.js';
import { OPENAI_PASSTHROUGH_FIELDS, type OpenAIChatRequest, type OpenAIEmbeddingRequest, type OpenAIMessage } from './openai-request-schema.js';

type OpenAIContent = string | readonly ({ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' | null } } | { type: 'refusal'; refusal: string })[] | null | undefined;

function toBlocks(content: OpenAIContent): ContentBlock[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  const blocks: ContentBlock[] = [];
  for (const part of content) {
    if (part.type === 'text') blocks.push({ type: 'text', text: part.text });
    else if (part.type === 'image_url') {
      blocks.push(part.image_url.detail ? { type: 'image', url: part.image_url.url, detail: part.image_url.detail } : { type: 'image', url: part.image_url.url });
    }
    // Refusal parts are the model's own earlier refusal: keep them as text so the history reads the same.
    else blocks.push({ type: 'text', text: part.refusal });
  }
  return blocks;
}

export function toChatMessage(message: OpenAIMessage): ChatMessage {
  switch (message.role) {
    case 'system':
    case 'developer':
      return withName({ role: 'system', content: toBlocks(message.content) }, message.name);
    case 'user':
      return withName({ role: 'user', content: toBlocks(message.content) }, message.name);
    case 'assistant': {
      const out: ChatMessage = { role: 'assistant', content: toBlocks(message.content) };
      if (message.tool_calls?.length) {
        out.toolCalls = message.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments }));
      }
      return withName(out, message.name);
    }
    case 'tool':
      return { role: 'tool', content: toBlocks(message.content), toolCallId: message.tool_call_id };
  }
}

function withName(message: ChatMessage, name: string | null | undefined): ChatMessage {
  return name ? { ...message, name } : message;
}

function toToolChoice(choice: NonNullable<OpenAIChatRequest['tool_choice']>): ToolChoice {
  return typeof choice === 'string' ? choice : { name: choice.function.name };
}

function toResponseFormat(format: NonNullable<OpenAIChatRequest['response_format']>): ResponseFormat {
  if (format.type !== 'json_schema') return { type: format.type };
  const out: ResponseFormat = { type: 'json_schema', name: format.json_schema.name, schema: format.json_schema.schema ?? {} };
  if (typeof format.json_schema.strict === 'boolean') out.strict = format.json_schema.strict;
  return out;
}

const PASSTHROUGH: ReadonlySet<string> = new Set(OPENAI_PASSTHROUGH_FIELDS);

/**
 * @example toChatRequest({ model: 'gpt', messages: [{ role: 'user', content: 'hi' }] })
 * // → { model: 'gpt', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }
 */
export function toChatRequest(body: OpenAIChatRequest): ChatRequest {
  const request: ChatRequest = { model: body.model, messages: body.messages.map(toChatMessage) };
  if (body.tools?.length) {
    request.tools = body.tools.map((tool) => {
      const fn = tool.function;
      return {
        name: fn.name,
        ...(fn.description ? { description: fn.description } : {}),
        parameters: fn.parameters ?? { type: 'object', properties: {} },
        ...(typeof fn.strict === 'boolean' ? { strict: fn.strict } : {}),
      };
    });
  }
  if (body.tool_choice) request.toolChoice = toToolChoice(body.tool_choice);
  if (body.response_format) request.responseFormat = toResponseFormat(body.response_format);
  if (body.temperature != null) request.temperature = body.temperature;
  if (body.top_p != null) request.topP = body.top_p;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) request.maxTokens = maxTokens;
  if (body.stop != null) request.stop = typeof body.stop === 'string' ? [body.stop] : [...body.stop];
  if (body.seed != null) request.seed = body.seed;
  if (body.user) request.user = body.user;
  // The body's own fields, looked up in the set: a body holds a handful of them, and reading
  // each passthrough name off it instead was a keyed lookup per name on every request.
  let extra: Record<string, unknown> | undefined;
  for (const field in body) {
    const value = body[field as keyof OpenAIChatRequest];
    if (value != null && PASSTHROUGH.has(field)) (extra ??= {})[field] = value;
  }
  if (extra) request.extra = extra;
  return request;
}

export function toEmbeddingRequest(body: OpenAIEmbeddingRequest): EmbeddingRequest {
  const request: EmbeddingRequest = { model: body.model, input: typeof body.input === 'string' ? [body.input] : [...body.input] };
  if (body.dimensions != null) request.dimensions = body.dimensions;
  if (body.user) request.user = body.user;
  return request;
}
