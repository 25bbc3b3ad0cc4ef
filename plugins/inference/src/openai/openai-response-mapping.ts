/**
 * @module openai/openai-response-mapping
 * The internal model → OpenAI's response objects: `chat.completion`, the
 * `chat.completion.chunk` sequence of a stream, the embeddings `list` and the models `list`
 * (https://platform.openai.com/docs/api-reference/chat/object). Pure functions plus one small
 * stateful encoder for streams; `model` is always the frontend slug the client asked for.
 */
import type { ModelInfo } from '@scaigrid/plugin-routing';
import type { ChatChunk, ChatMessage, ChatResponse, EmbeddingResponse, FinishReason, Usage } from '../chat-model.js';

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface OpenAIChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: 'assistant'; content: string | null; refusal: null; tool_calls?: OpenAIToolCall[]; reasoning_content?: string };
    logprobs: null;
    finish_reason: OpenAIFinishReason;
  }[];
  usage: OpenAIUsage;
  system_fingerprint: null;
}

export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface OpenAIChunkDelta {
  role?: 'assistant';
  content?: string | null;
  refusal?: null;
  reasoning_content?: string;
  tool_calls?: { index: number; id?: string; type?: 'function'; function: { name?: string; arguments: string } }[];
}

export interface OpenAIChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint: null;
  choices: { index: number; delta: OpenAIChunkDelta; logprobs: null; finish_reason: OpenAIFinishReason | null }[];
  usage?: OpenAIUsage | null;
}

/** OpenAI has no `error` finish reason; a cut answer reads as `stop` there. */
export function toOpenAIFinishReason(reason: FinishReason): OpenAIFinishReason {
  return reason === 'error' ? 'stop' : reason;
}

export function toOpenAIUsage(usage: Usage): OpenAIUsage {
  const out: OpenAIUsage = {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
  if (usage.cachedPromptTokens !== undefined) out.prompt_tokens_details = { cached_tokens: usage.cachedPromptTokens };
  if (usage.reasoningTokens !== undefined) out.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  return out;
}

function joinBlocks(message: ChatMessage, type: 'text' | 'reasoning'): string {
  let out = '';
  for (const block of message.content) if (block.type === type) out += block.text;
  return out;
}

export interface CompletionIdentity {
  /** `chatcmpl-...` */
  id: string;
  /** Epoch seconds. */
  created: number;
  /** The frontend slug. */
  model: string;
}

export function toOpenAICompletion(response: ChatResponse, identity: CompletionIdentity, usage: Usage): OpenAIChatCompletion {
  const text = joinBlocks(response.message, 'text');
  const reasoning = joinBlocks(response.message, 'reasoning');
  const toolCalls = response.message.toolCalls ?? [];
  const message: OpenAIChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) {
    message.tool_calls = toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
  }
  if (reasoning) message.reasoning_content = reasoning;
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: toOpenAIFinishReason(response.finishReason) }],
    usage: toOpenAIUsage(usage),
    system_fingerprint: null,
  };
}

/**
 * Turns internal chunks into OpenAI chunk objects, in OpenAI's order: a first chunk carrying
 * the role, content and tool-call deltas, one chunk with the finish reason, then (when the
 * client asked with `stream_options.include_usage`) a chunk with `choices: []` and usage.
 */
export class OpenAIStreamEncoder {
  private finishReason: OpenAIFinishReason | undefined;
  /** A text chunk's JSON around its content string (see `encodeJson`); made on first use. */
  private textJson: { before: string; after: string } | undefined;

  constructor(
    private readonly identity: CompletionIdentity,
    private readonly includeUsage: boolean,
  ) {}

  private chunk(delta: OpenAIChunkDelta, finishReason: OpenAIFinishReason | null = null): OpenAIChatCompletionChunk {
    const out: OpenAIChatCompletionChunk = {
      id: this.identity.id,
      object: 'chat.completion.chunk',
      created: this.identity.created,
      model: this.identity.model,
      system_fingerprint: null,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    };
    if (this.includeUsage) out.usage = null;
    return out;
  }

  /** The opening chunk, sent as soon as the upstream accepted the request. */
  start(): OpenAIChatCompletionChunk {
    return this.chunk({ role: 'assistant', content: '', refusal: null });
  }

  /** The chunk for one internal chunk, or undefined when it is held back (finish, usage). */
  encode(chunk: ChatChunk): OpenAIChatCompletionChunk | undefined {
    switch (chunk.type) {
      case 'text':
        return chunk.text === '' ? undefined : this.chunk({ content: chunk.text });
      case 'reasoning':
        return chunk.text === '' ? undefined : this.chunk({ reasoning_content: chunk.text });
      case 'tool_call': {
        const call: NonNullable<OpenAIChunkDelta['tool_calls']>[number] = { index: chunk.index, function: { arguments: chunk.argumentsDelta } };
        if (chunk.id !== undefined) {
          call.id = chunk.id;
          call.type = 'function';
        }
        if (chunk.name !== undefined) call.function.name = chunk.name;
        return this.chunk({ tool_calls: [call] });
      }
      case 'finish':
        // Held until the end: some providers report usage after the finish, and OpenAI sends the finish last.
        this.finishReason = toOpenAIFinishReason(chunk.finishReason);
        return undefined;
      case 'usage':
        return undefined;
    }
  }

  /**
   * `encode(chunk)` as JSON text, the same bytes as JSON.stringify gives. Text chunks, nearly
   * every chunk of a stream, differ only in their content, so their JSON is the stream's
   * constant text around the content's JSON string instead of three new objects stringified.
   */
  encodeJson(chunk: ChatChunk): string | undefined {
    if (chunk.type === 'text' && chunk.text !== '') {
      this.textJson ??= this.textTemplate();
      return this.textJson.before + JSON.stringify(chunk.text) + this.textJson.after;
    }
    const out = this.encode(chunk);
    return out && JSON.stringify(out);
  }

  private textTemplate(): { before: string; after: string } {
    const empty = JSON.stringify(this.chunk({ content: '' }));
    // Unambiguous: inside the id or model strings a quote is escaped, so this cannot occur there.
    const marker = '"delta":{"content":""';
    const at = empty.indexOf(marker);
    return { before: empty.slice(0, at + marker.length - 2), after: empty.slice(at + marker.length) };
  }

  /** The closing chunks: the finish reason, then usage when asked for. */
  finish(usage: Usage): OpenAIChatCompletionChunk[] {
    const out = [this.chunk({}, this.finishReason ?? 'stop')];
    if (this.includeUsage) {
      out.push({
        id: this.identity.id,
        object: 'chat.completion.chunk',
        created: this.identity.created,
        model: this.identity.model,
        system_fingerprint: null,
        choices: [],
        usage: toOpenAIUsage(usage),
      });
    }
    return out;
  }
}

export interface OpenAIEmbeddingList {
  object: 'list';
  data: { object: 'embedding'; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** OpenAI's base64 form: the vector's little-endian float32 bytes. */
export function embeddingToBase64(embedding: readonly number[]): string {
  const bytes = Buffer.alloc(embedding.length * 4);
  embedding.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

export function toOpenAIEmbeddingList(response: EmbeddingResponse, model: string, usage: Usage, encoding: 'float' | 'base64' = 'float'): OpenAIEmbeddingList {
  return {
    object: 'list',
    data: response.embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding: encoding === 'base64' ? embeddingToBase64(embedding) : embedding })),
    model,
    usage: { prompt_tokens: usage.promptTokens, total_tokens: usage.promptTokens + usage.completionTokens },
  };
}

export interface OpenAIModelList {
  object: 'list';
  data: { id: string; object: 'model'; created: number; owned_by: string }[];
}

export function toOpenAIModelList(models: readonly ModelInfo[]): OpenAIModelList {
  return {
    object: 'list',
    data: models.map((m) => ({ id: m.slug, object: 'model', created: Math.floor(m.createdAt / 1000), owned_by: 'scaigrid' })),
  };
}
