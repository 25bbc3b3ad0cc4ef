/**
 * @module anthropic/anthropic-response-mapping
 * The internal model → Anthropic's `message` object (API reference "Messages", response) and
 * the model list ("Models"). `model` is always the frontend slug the client asked for, and
 * tool-call ids pass through unchanged so the client's `tool_result.tool_use_id` finds its
 * call again on the next turn, whichever provider made the id.
 */
import type { ModelInfo } from '@scaigrid/plugin-routing';
import type { ChatResponse, FinishReason, Usage } from '../chat-model.js';

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
}

export type AnthropicContentBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface AnthropicMessageObject {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

export interface MessageIdentity {
  /** `msg_...` */
  id: string;
  /** The frontend slug. */
  model: string;
  /** Surface reasoning as `thinking` blocks: only when the client asked for thinking. */
  includeThinking: boolean;
}

/**
 * `stop` cannot tell a natural end from a stop sequence (the internal model keeps no record
 * of which sequence matched), so it is `end_turn`; a cut answer (`error`) reads the same.
 */
export function toAnthropicStopReason(reason: FinishReason): AnthropicStopReason {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** Anthropic counts cached prompt tokens apart from `input_tokens`; the internal model includes them. */
export function toAnthropicUsage(usage: Usage): AnthropicUsage {
  const cached = usage.cachedPromptTokens ?? 0;
  const out: AnthropicUsage = { input_tokens: Math.max(0, usage.promptTokens - cached), output_tokens: usage.completionTokens };
  if (usage.cachedPromptTokens !== undefined) out.cache_read_input_tokens = cached;
  return out;
}

/** Tool input as an object; arguments that are not a JSON object are kept under `_raw` rather than dropped. */
export function toToolInput(args: string): Record<string, unknown> {
  if (args.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through: a model produced broken JSON
  }
  return { _raw: args };
}

export function toAnthropicMessage(response: ChatResponse, identity: MessageIdentity, usage: Usage): AnthropicMessageObject {
  const content: AnthropicContentBlock[] = [];
  for (const block of response.message.content) {
    if (block.type === 'text' && block.text !== '') content.push({ type: 'text', text: block.text });
    else if (block.type === 'reasoning' && identity.includeThinking && block.text !== '') content.push({ type: 'thinking', thinking: block.text, signature: '' });
  }
  for (const call of response.message.toolCalls ?? []) {
    content.push({ type: 'tool_use', id: call.id, name: call.name, input: toToolInput(call.arguments) });
  }
  // Thinking comes first in Anthropic's answers.
  content.sort((a, b) => Number(b.type === 'thinking') - Number(a.type === 'thinking'));
  return {
    id: identity.id,
    type: 'message',
    role: 'assistant',
    model: identity.model,
    content,
    stop_reason: toAnthropicStopReason(response.finishReason),
    stop_sequence: null,
    usage: toAnthropicUsage(usage),
  };
}

export interface AnthropicModelList {
  data: { type: 'model'; id: string; display_name: string; created_at: string }[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

/** Only chat models: the Messages API has no embeddings. */
export function toAnthropicModelList(models: readonly ModelInfo[]): AnthropicModelList {
  const data = models.filter((m) => m.kind === 'chat').map((m) => ({ type: 'model' as const, id: m.slug, display_name: m.slug, created_at: new Date(m.createdAt).toISOString() }));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}
