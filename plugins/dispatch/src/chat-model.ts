/**
 * @module chat-model
 * The one provider-agnostic request/response model of the gateway. Inbound adapters
 * (OpenAI, native, later Anthropic) translate into it; dispatchers translate it into each
 * provider's wire format and back. It lives in the dispatch plugin because it is the
 * contract between the pipeline and every provider package; inference re-exports it.
 */

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; url: string; detail?: 'auto' | 'low' | 'high' }
  /** Model reasoning surfaced by some providers; never sent back upstream unless the provider wants it. */
  | { type: 'reasoning'; text: string };

export interface ToolCall {
  id: string;
  name: string;
  /** JSON-encoded arguments, exactly as the model produced them. */
  arguments: string;
}

export interface ChatMessage {
  role: ChatRole;
  content: ContentBlock[];
  /** Assistant messages that call tools. */
  toolCalls?: ToolCall[];
  /** Tool messages: which call this result answers. */
  toolCallId?: string;
  name?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
  strict?: boolean;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean };

export interface ChatRequest {
  /** Upstream model id (the backend's), filled in by the pipeline before dispatch. */
  model: string;
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  /** Opaque end-user id passed to providers that accept one. */
  user?: string;
  /** Provider-specific fields passed through untouched (e.g. `reasoning_effort`). */
  extra?: Record<string, unknown>;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  /** Provider-reported cached prompt tokens, when known. */
  cachedPromptTokens?: number;
  reasoningTokens?: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'error';

export interface ChatResponse {
  /** Provider's response id, when it gives one. */
  id?: string;
  model: string;
  /** The assistant message: text/reasoning blocks and tool calls. */
  message: ChatMessage;
  finishReason: FinishReason;
  usage?: Usage;
}

/**
 * One streamed piece. Text and reasoning arrive as deltas; a tool call arrives as a start
 * (index, id, name) followed by argument deltas for the same index.
 */
export type ChatChunk =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'tool_call'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'finish'; finishReason: FinishReason }
  | { type: 'usage'; usage: Usage };

export interface EmbeddingRequest {
  model: string;
  input: string[];
  dimensions?: number;
  user?: string;
}

export interface EmbeddingResponse {
  model: string;
  embeddings: number[][];
  usage?: Usage;
}

/** Concatenated text of a message's text blocks. */
export function messageText(message: ChatMessage): string {
  return message.content
    .filter((b): b is { type: 'text'; text: string } => b.type === 'text')
    .map((b) => b.text)
    .join('');
}
