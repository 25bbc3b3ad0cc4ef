/**
 * @module anthropic/anthropic-request-schema
 * zod schemas of the Anthropic Messages request bodies the gateway accepts (Anthropic API
 * reference, "Messages" and "Count tokens": https://docs.anthropic.com/en/api/messages).
 * Blocks the gateway cannot carry to an arbitrary backend (documents, server tools, MCP
 * servers' results) fail here with 400 naming the field, before anything reaches an upstream.
 * Knobs only Anthropic has and that would break other providers if forwarded (`top_k`,
 * `cache_control`, `disable_parallel_tool_use`, `service_tier`) are accepted and ignored.
 */
import { z } from 'zod';

const cacheControl = z.looseObject({ type: z.string() }).nullish();

const textBlock = z.object({ type: z.literal('text'), text: z.string(), cache_control: cacheControl, citations: z.array(z.unknown()).nullish() });

const imageSource = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('base64'),
    media_type: z.enum(['image/jpeg', 'image/png', 'image/gif', 'image/webp']),
    data: z.string().min(1, 'data must not be empty'),
  }),
  z.object({ type: z.literal('url'), url: z.string().url() }),
]);
const imageBlock = z.object({ type: z.literal('image'), source: imageSource, cache_control: cacheControl });

const toolUseBlock = z.object({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  cache_control: cacheControl,
});

const toolResultBlock = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlock, imageBlock]))]).nullish(),
  is_error: z.boolean().nullish(),
  cache_control: cacheControl,
});

/** Earlier thinking the client sends back; it becomes a reasoning block (dispatchers decide whether to forward it). */
const thinkingBlock = z.object({ type: z.literal('thinking'), thinking: z.string(), signature: z.string().nullish() });
const redactedThinkingBlock = z.object({ type: z.literal('redacted_thinking'), data: z.string() });

const userMessage = z.object({
  role: z.literal('user'),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlock, imageBlock, toolResultBlock]))]),
});
const assistantMessage = z.object({
  role: z.literal('assistant'),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlock, toolUseBlock, thinkingBlock, redactedThinkingBlock]))]),
});

export const anthropicMessageSchema = z.discriminatedUnion('role', [userMessage, assistantMessage]);

const customTool = z.object({
  // Server tools (`bash_20250124`, `web_search_...`) have other types; no backend here runs them.
  type: z.literal('custom', { error: "only custom tools (type 'custom' or no type) are supported" }).nullish(),
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, underscores or dashes'),
  description: z.string().nullish(),
  input_schema: z.record(z.string(), z.unknown()),
  cache_control: cacheControl,
});

const toolChoice = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().nullish() }),
  z.object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().nullish() }),
  z.object({ type: z.literal('tool'), name: z.string().min(1), disable_parallel_tool_use: z.boolean().nullish() }),
  z.object({ type: z.literal('none') }),
]);

const system = z.union([z.string(), z.array(textBlock)]);

const thinking = z.discriminatedUnion('type', [
  z.object({ type: z.literal('enabled'), budget_tokens: z.number().int().min(1) }),
  z.object({ type: z.literal('disabled') }),
]);

/** What Messages and Count tokens share: the conversation, system prompt and tools. */
const conversationShape = {
  model: z.string({ error: 'model is required' }).min(1, 'model is required'),
  messages: z.array(anthropicMessageSchema).min(1, 'messages must hold at least one message'),
  system: system.nullish(),
  tools: z.array(customTool).nullish(),
  tool_choice: toolChoice.nullish(),
  thinking: thinking.nullish(),
};

const messagesRequest = z.object({
  ...conversationShape,
  max_tokens: z.number({ error: 'max_tokens is required' }).int().min(1),
  stop_sequences: z.array(z.string()).nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  stream: z.boolean().nullish(),
  metadata: z.object({ user_id: z.string().nullish() }).nullish(),
  service_tier: z.string().nullish(),
  // Silently dropping these would change what the client asked for, so they are refused.
  mcp_servers: z.never({ error: 'MCP servers are not supported by the gateway' }).optional(),
  container: z.never({ error: 'code execution containers are not supported by the gateway' }).optional(),
});

// Compiled: parsed on every inference request (see request-validation.ts).
export const anthropicMessagesRequestSchema = z.compile(messagesRequest);
export const anthropicCountTokensRequestSchema = z.compile(z.object(conversationShape));

export type AnthropicMessagesRequest = z.output<typeof anthropicMessagesRequestSchema>;
export type AnthropicCountTokensRequest = z.output<typeof anthropicCountTokensRequestSchema>;
export type AnthropicMessage = z.output<typeof anthropicMessageSchema>;
