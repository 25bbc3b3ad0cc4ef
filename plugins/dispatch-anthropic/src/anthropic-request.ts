/**
 * @module anthropic-request
 * Pure mapping from the normalized ChatRequest to the body of Anthropic's `POST /v1/messages`.
 * The Messages API differs from OpenAI's in ways that shape this file: system text is a
 * top-level field, turns must alternate user/assistant (so consecutive same-role messages
 * are merged and tool results travel as `tool_result` blocks inside a user turn, before any
 * text), tool-call inputs are objects rather than JSON strings, and `max_tokens` is required.
 */
import { GatewayError } from '@scaigrid/kernel';
import type { ChatMessage, ChatRequest, ContentBlock, ToolCall, ToolChoice, ToolDefinition } from '@scaigrid/plugin-dispatch';
import type { AnthropicMessage, AnthropicMessagesBody, AnthropicRequestBlock, AnthropicTool, AnthropicToolChoice } from './anthropic-wire.js';

export interface AnthropicBodyOptions {
  stream: boolean;
  /** Used when the request sets no maxTokens. */
  defaultMaxTokens: number;
}

/**
 * @example toAnthropicBody({ model: 'claude-sonnet-4-5', messages: [
 *   { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] },
 *   { role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }, { stream: false, defaultMaxTokens: 4096 })
 * // → { model, max_tokens: 4096, system: 'Be brief.', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }
 */
export function toAnthropicBody(request: ChatRequest, options: AnthropicBodyOptions): AnthropicMessagesBody {
  const system: string[] = [];
  const turns: AnthropicMessage[] = [];
  request.messages.forEach((message, index) => {
    if (message.role === 'system') {
      const text = joinText(message.content);
      if (text !== '') system.push(text);
      return;
    }
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = toBlocks(message, index);
    // The API rejects empty turns and empty text blocks; a message with nothing to say is dropped.
    if (blocks.length === 0) return;
    const previous = turns[turns.length - 1];
    if (previous && previous.role === role) previous.content.push(...blocks);
    else turns.push({ role, content: blocks });
  });
  for (const turn of turns) if (turn.role === 'user') turn.content = toolResultsFirst(turn.content);

  const body: AnthropicMessagesBody = {
    ...(request.extra ?? {}),
    model: request.model,
    max_tokens: request.maxTokens ?? options.defaultMaxTokens,
    messages: turns,
  };
  if (system.length > 0) body.system = system.join('\n\n');
  if (request.tools?.length) {
    body.tools = request.tools.map(toAnthropicTool);
    if (request.toolChoice !== undefined) body.tool_choice = toAnthropicToolChoice(request.toolChoice);
  }
  if (request.stop?.length) body.stop_sequences = request.stop;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.user !== undefined) body.metadata = { user_id: request.user };
  if (options.stream) body.stream = true;
  return body;
}

function toBlocks(message: ChatMessage, index: number): AnthropicRequestBlock[] {
  if (message.role === 'tool') {
    const text = joinText(message.content);
    const result: AnthropicRequestBlock = { type: 'tool_result', tool_use_id: message.toolCallId ?? '' };
    if (text !== '') result.content = text;
    return [result];
  }
  const blocks: AnthropicRequestBlock[] = [];
  for (const block of message.content) {
    if (block.type === 'text' && block.text !== '') blocks.push({ type: 'text', text: block.text });
    else if (block.type === 'image') blocks.push({ type: 'image', source: imageSource(block.url) });
    // Reasoning is not sent back: Anthropic only accepts its own signed thinking blocks.
  }
  if (message.role === 'assistant') {
    (message.toolCalls ?? []).forEach((call, callIndex) => blocks.push(toToolUse(call, index, callIndex)));
  }
  return blocks;
}

function toToolUse(call: ToolCall, messageIndex: number, callIndex: number): AnthropicRequestBlock {
  const field = `messages[${messageIndex}].tool_calls[${callIndex}].function.arguments`;
  let input: unknown;
  try {
    input = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch {
    throw new GatewayError('VALIDATION_ERROR', `${field} is not valid JSON; Anthropic needs the tool call arguments as a JSON object`, {
      details: { field },
    });
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new GatewayError('VALIDATION_ERROR', `${field} must encode a JSON object for Anthropic tool_use input`, { details: { field } });
  }
  return { type: 'tool_use', id: call.id, name: call.name, input: input as Record<string, unknown> };
}

/** `data:` URLs become base64 sources; anything else is fetched by Anthropic from the URL. */
function imageSource(url: string): { type: 'url'; url: string } | { type: 'base64'; media_type: string; data: string } {
  const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  return match ? { type: 'base64', media_type: match[1], data: match[2] } : { type: 'url', url };
}

/** The API wants tool results at the start of a user turn, before any text. */
function toolResultsFirst(blocks: AnthropicRequestBlock[]): AnthropicRequestBlock[] {
  return [...blocks.filter((b) => b.type === 'tool_result'), ...blocks.filter((b) => b.type !== 'tool_result')];
}

function joinText(blocks: ContentBlock[]): string {
  let text = '';
  for (const block of blocks) if (block.type === 'text') text += block.text;
  return text;
}

export function toAnthropicTool(tool: ToolDefinition): AnthropicTool {
  const out: AnthropicTool = { name: tool.name, input_schema: tool.parameters };
  if (tool.description !== undefined) out.description = tool.description;
  return out;
}

export function toAnthropicToolChoice(choice: ToolChoice): AnthropicToolChoice {
  if (typeof choice === 'object') return { type: 'tool', name: choice.name };
  if (choice === 'required') return { type: 'any' };
  return { type: choice };
}
