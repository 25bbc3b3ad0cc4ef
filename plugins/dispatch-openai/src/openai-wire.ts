/**
 * @module openai-wire
 * The subset of OpenAI's Chat Completions and Embeddings wire format the gateway speaks,
 * typed from the API reference ("Create chat completion", "The chat completion object",
 * "The chat completion chunk object", "Create embeddings"). OpenAI-compatible providers
 * (Azure, Mistral, Qwen, vLLM...) add fields; those pass through `extra` and the map hooks.
 */

export type OpenAIContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } };

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type OpenAIMessage =
  | { role: 'system' | 'developer'; content: string; name?: string }
  | { role: 'user'; content: string | OpenAIContentPart[]; name?: string }
  | { role: 'assistant'; content: string | null; name?: string; tool_calls?: OpenAIToolCall[] }
  | { role: 'tool'; content: string; tool_call_id: string };

export interface OpenAITool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown>; strict?: boolean };
}

export type OpenAIToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export type OpenAIResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean } };

/** Request body of `POST /chat/completions`. Open-ended: providers accept extra fields. */
export interface OpenAIChatBody {
  model: string;
  messages: OpenAIMessage[];
  tools?: OpenAITool[];
  tool_choice?: OpenAIToolChoice;
  response_format?: OpenAIResponseFormat;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string[];
  seed?: number;
  user?: string;
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  [field: string]: unknown;
}

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

export interface OpenAIResponseMessage {
  role: 'assistant';
  content: string | null;
  refusal?: string | null;
  tool_calls?: OpenAIToolCall[] | null;
  /** Not OpenAI's: DeepSeek, Qwen and vLLM return reasoning here. */
  reasoning_content?: string | null;
}

/** "The chat completion object". */
export interface OpenAIChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{ index: number; message: OpenAIResponseMessage; finish_reason: string | null }>;
  usage?: OpenAIUsage | null;
  system_fingerprint?: string | null;
}

export interface OpenAIToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

/** "The chat completion chunk object". */
export interface OpenAIChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: string; content?: string | null; refusal?: string | null; reasoning_content?: string | null; tool_calls?: OpenAIToolCallDelta[] };
    finish_reason: string | null;
  }>;
  /** Null on every chunk but the last when `stream_options.include_usage` is set. */
  usage?: OpenAIUsage | null;
  /** Some compatible servers report a failure inside the stream instead of an HTTP status. */
  error?: { message?: string; type?: string; code?: string | number };
}

/** Request body of `POST /embeddings`. */
export interface OpenAIEmbeddingsBody {
  model: string;
  input: string[];
  encoding_format: 'float';
  dimensions?: number;
  user?: string;
  [field: string]: unknown;
}

/** "The embedding object" list. */
export interface OpenAIEmbeddingsResponse {
  object: 'list';
  model: string;
  data: Array<{ object: 'embedding'; index: number; embedding: number[] }>;
  usage?: { prompt_tokens: number; total_tokens?: number };
}
