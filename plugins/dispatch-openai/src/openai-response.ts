/**
 * @module openai-response
 * Pure mapping from OpenAI's response objects (chat completion, usage, finish reason,
 * embeddings) to the normalized model. Tool-call arguments stay the JSON strings the model
 * produced; reasoning returned by compatible servers (`reasoning_content`) becomes a
 * reasoning block.
 */
import { UpstreamError, type ChatResponse, type ContentBlock, type EmbeddingResponse, type FinishReason, type ToolCall, type Usage } from '@scaigrid/plugin-dispatch';
import type { OpenAIChatCompletion, OpenAIEmbeddingsResponse, OpenAIUsage } from './openai-wire.js';

/**
 * @example fromOpenAIChatResponse({ id: 'chatcmpl-1', object: 'chat.completion', created: 0, model: 'gpt-4o',
 *   choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }] })
 * // → { id: 'chatcmpl-1', model: 'gpt-4o', message: { role: 'assistant', content: [{ type: 'text', text: 'Hi' }] }, finishReason: 'stop' }
 */
export function fromOpenAIChatResponse(completion: OpenAIChatCompletion): ChatResponse {
  const choice = completion.choices?.[0];
  if (!choice || typeof choice.message !== 'object' || choice.message === null) {
    throw new UpstreamError('protocol', 'Upstream chat completion has no choices[0].message');
  }
  const { message: upstream } = choice;
  const content: ContentBlock[] = [];
  if (upstream.reasoning_content) content.push({ type: 'reasoning', text: upstream.reasoning_content });
  if (upstream.content) content.push({ type: 'text', text: upstream.content });
  // A refusal replaces the content; surfacing it as text lets the caller see why.
  else if (upstream.refusal) content.push({ type: 'text', text: upstream.refusal });

  const toolCalls: ToolCall[] = (upstream.tool_calls ?? []).map((call) => ({
    id: call.id,
    name: call.function.name,
    arguments: call.function.arguments,
  }));
  const response: ChatResponse = {
    model: completion.model,
    message: toolCalls.length > 0 ? { role: 'assistant', content, toolCalls } : { role: 'assistant', content },
    finishReason: fromOpenAIFinishReason(choice.finish_reason),
  };
  if (completion.id) response.id = completion.id;
  if (completion.usage) response.usage = fromOpenAIUsage(completion.usage);
  return response;
}

export function fromOpenAIFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** OpenAI's prompt_tokens already include cached tokens; completion_tokens include reasoning. */
export function fromOpenAIUsage(usage: OpenAIUsage): Usage {
  const out: Usage = { promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0 };
  const cached = usage.prompt_tokens_details?.cached_tokens;
  if (typeof cached === 'number') out.cachedPromptTokens = cached;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number') out.reasoningTokens = reasoning;
  return out;
}

/** Orders vectors by `index`: the API does not promise list order matches input order. */
export function fromOpenAIEmbeddingsResponse(response: OpenAIEmbeddingsResponse): EmbeddingResponse {
  if (!Array.isArray(response.data)) throw new UpstreamError('protocol', 'Upstream embeddings response has no data array');
  const embeddings = [...response.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
  const out: EmbeddingResponse = { model: response.model, embeddings };
  if (response.usage) out.usage = { promptTokens: response.usage.prompt_tokens ?? 0, completionTokens: 0 };
  return out;
}
