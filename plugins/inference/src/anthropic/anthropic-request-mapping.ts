/**
 * @module anthropic/anthropic-request-mapping
 * Anthropic Messages request → the internal model. Pure functions over a body already
 * validated by anthropic-request-schema. The shapes differ in three ways that matter: the
 * system prompt is a top-level field (it becomes a leading `system` message), tool results
 * travel as `tool_result` blocks inside a user turn (each becomes its own `tool` message,
 * before the turn's remaining text), and tool inputs are objects (they become JSON strings).
 */
import type { ChatMessage, ChatRequest, ContentBlock, ToolCall, ToolChoice } from '../chat-model.js';
import type { AnthropicCountTokensRequest, AnthropicMessage, AnthropicMessagesRequest } from './anthropic-request-schema.js';

type UserBlock = Exclude<Extract<AnthropicMessage, { role: 'user' }>['content'], string>[number];
type AssistantBlock = Exclude<Extract<AnthropicMessage, { role: 'assistant' }>['content'], string>[number];
type MediaBlock = Extract<UserBlock, { type: 'text' | 'image' }>;

/**
 * The internal model has no "this result is an error" flag, and OpenAI-style backends none
 * either; the marker keeps that fact in the text the model reads.
 */
export const TOOL_ERROR_PREFIX = 'Error: ';

function mediaBlock(block: MediaBlock): ContentBlock {
  if (block.type === 'text') return { type: 'text', text: block.text };
  const source = block.source;
  // A data URL is how the internal model carries inline images; dispatchers turn it back into each provider's form.
  return { type: 'image', url: source.type === 'base64' ? `data:${source.media_type};base64,${source.data}` : source.url };
}

function toolResultMessage(block: Extract<UserBlock, { type: 'tool_result' }>): ChatMessage {
  const content: ContentBlock[] = typeof block.content === 'string' ? [{ type: 'text', text: block.content }] : (block.content ?? []).map(mediaBlock);
  if (block.is_error) {
    const first = content[0];
    if (first?.type === 'text') content[0] = { type: 'text', text: `${TOOL_ERROR_PREFIX}${first.text}` };
    else content.unshift({ type: 'text', text: TOOL_ERROR_PREFIX.trim() });
  }
  return { role: 'tool', content, toolCallId: block.tool_use_id };
}

function userMessages(content: string | UserBlock[]): ChatMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content: [{ type: 'text', text: content }] }];
  const out: ChatMessage[] = [];
  const rest: ContentBlock[] = [];
  for (const block of content) {
    if (block.type === 'tool_result') out.push(toolResultMessage(block));
    else rest.push(mediaBlock(block));
  }
  if (rest.length > 0 || out.length === 0) out.push({ role: 'user', content: rest });
  return out;
}

function assistantMessage(content: string | AssistantBlock[]): ChatMessage {
  if (typeof content === 'string') return { role: 'assistant', content: content === '' ? [] : [{ type: 'text', text: content }] };
  const blocks: ContentBlock[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of content) {
    if (block.type === 'text') blocks.push({ type: 'text', text: block.text });
    else if (block.type === 'thinking') blocks.push({ type: 'reasoning', text: block.thinking });
    else if (block.type === 'tool_use') toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input) });
    // redacted_thinking is encrypted for Anthropic alone; no other backend can read it.
  }
  return toolCalls.length > 0 ? { role: 'assistant', content: blocks, toolCalls } : { role: 'assistant', content: blocks };
}

function systemMessage(system: NonNullable<AnthropicCountTokensRequest['system']>): ChatMessage | undefined {
  const content: ContentBlock[] = typeof system === 'string' ? [{ type: 'text', text: system }] : system.map((b) => ({ type: 'text', text: b.text }));
  const empty = content.every((b) => b.type === 'text' && b.text === '');
  return empty ? undefined : { role: 'system', content };
}

function toToolChoice(choice: NonNullable<AnthropicCountTokensRequest['tool_choice']>): ToolChoice {
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { name: choice.name };
  }
}

/** The conversation part both Messages and Count tokens carry. */
export function toConversation(body: AnthropicCountTokensRequest): ChatRequest {
  const messages: ChatMessage[] = [];
  const system = body.system ? systemMessage(body.system) : undefined;
  if (system) messages.push(system);
  for (const message of body.messages) {
    if (message.role === 'user') messages.push(...userMessages(message.content));
    else messages.push(assistantMessage(message.content));
  }
  const request: ChatRequest = { model: body.model, messages };
  if (body.tools?.length) {
    request.tools = body.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      parameters: tool.input_schema,
    }));
  }
  if (body.tool_choice) request.toolChoice = toToolChoice(body.tool_choice);
  return request;
}

/**
 * @example toChatRequest({ model: 'claude', max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] })
 * // → { model: 'claude', maxTokens: 100, messages: [{ role: 'system', ... 'Be brief.' }, { role: 'user', ... 'hi' }] }
 */
export function toChatRequest(body: AnthropicMessagesRequest): ChatRequest {
  const request = toConversation(body);
  request.maxTokens = body.max_tokens;
  if (body.temperature != null) request.temperature = body.temperature;
  if (body.top_p != null) request.topP = body.top_p;
  if (body.stop_sequences?.length) request.stop = [...body.stop_sequences];
  if (body.metadata?.user_id) request.user = body.metadata.user_id;
  return request;
}
