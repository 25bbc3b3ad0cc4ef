/**
 * @module mistral-body
 * Where Mistral's chat API ("Mistral AI API — Chat: Chat Completion") differs from OpenAI's
 * on the way up. Its request schema forbids unknown fields (422 `extra_forbidden`), so the
 * OpenAI body is cut down to the fields Mistral defines, with renames: `seed` →
 * `random_seed`, `max_completion_tokens` → `max_tokens`, `tool_choice: required` → `any`;
 * `stream_options` and `user` go (Mistral puts usage in the last stream chunk unasked).
 * Tool-call ids must be exactly 9 characters of a-z, A-Z, 0-9: ids Mistral made pass
 * unchanged, any other id (from an OpenAI backend earlier in the conversation, or a client's
 * own) is replaced by a stable hash, the same in the assistant's call and the tool's answer.
 */
import { createHash } from 'node:crypto';
import type { OpenAIChatBody, OpenAIEmbeddingsBody, OpenAIMessage } from '@scaigrid/plugin-dispatch-openai';

/** Chat Completion request fields Mistral accepts. */
export const MISTRAL_CHAT_FIELDS = [
  'model', 'messages', 'temperature', 'top_p', 'max_tokens', 'stream', 'stop', 'random_seed', 'response_format', 'tools', 'tool_choice',
  'presence_penalty', 'frequency_penalty', 'n', 'prediction', 'parallel_tool_calls', 'prompt_mode', 'safe_prompt',
] as const;

const MISTRAL_TOOL_CALL_ID = /^[a-zA-Z0-9]{9}$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * @example toMistralToolCallId('D681PevKs') // → 'D681PevKs' (already Mistral's)
 * toMistralToolCallId('call_abc123') // → the same 9 characters every time
 */
export function toMistralToolCallId(id: string): string {
  if (MISTRAL_TOOL_CALL_ID.test(id)) return id;
  const digest = createHash('sha256').update(id).digest();
  let out = '';
  for (let i = 0; i < 9; i++) out += BASE62[digest[i] % 62];
  return out;
}

/** Mistral's message shapes: no `name` except on tool messages, tool-call ids in its format. */
export function toMistralMessage(message: OpenAIMessage): OpenAIMessage {
  switch (message.role) {
    case 'tool':
      return { ...message, tool_call_id: toMistralToolCallId(message.tool_call_id) };
    case 'assistant': {
      const { name: _name, ...rest } = message;
      return rest.tool_calls ? { ...rest, tool_calls: rest.tool_calls.map((call) => ({ ...call, id: toMistralToolCallId(call.id) })) } : rest;
    }
    default: {
      const { name: _name, ...rest } = message;
      return rest as OpenAIMessage;
    }
  }
}

export function toMistralChatBody(body: OpenAIChatBody): OpenAIChatBody {
  const { seed, max_completion_tokens, tool_choice, ...rest } = body;
  const renamed: Record<string, unknown> = { ...rest, messages: body.messages.map(toMistralMessage) };
  if (seed !== undefined) renamed.random_seed = seed;
  if (max_completion_tokens !== undefined) renamed.max_tokens = max_completion_tokens;
  if (tool_choice !== undefined) renamed.tool_choice = tool_choice === 'required' ? 'any' : tool_choice;
  const out: Record<string, unknown> = {};
  for (const field of MISTRAL_CHAT_FIELDS) if (renamed[field] !== undefined) out[field] = renamed[field];
  return out as OpenAIChatBody;
}

/** "Embeddings: Embeddings": `dimensions` is `output_dimension`; there is no `user`. */
export function toMistralEmbeddingsBody(body: OpenAIEmbeddingsBody): OpenAIEmbeddingsBody {
  const out: OpenAIEmbeddingsBody = { model: body.model, input: body.input, encoding_format: body.encoding_format };
  if (body.dimensions !== undefined) out.output_dimension = body.dimensions;
  return out;
}
