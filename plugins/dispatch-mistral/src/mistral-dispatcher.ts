/**
 * @module mistral-dispatcher
 * The `mistral` provider kind: dispatch-openai's OpenAI-compatible dispatcher with Mistral's
 * request body (mistral-body.ts) and its two extra finish reasons — `model_length` (the
 * context window ran out: `length`) and `error` (the model failed mid-answer).
 */
import type { ChatChunk, ChatResponse, Dispatcher, FinishReason } from '@scaigrid/plugin-dispatch';
import { createOpenAICompatibleDispatcher } from '@scaigrid/plugin-dispatch-openai';
import { toMistralChatBody, toMistralEmbeddingsBody } from './mistral-body.js';

const MISTRAL_FINISH: Record<string, FinishReason> = { model_length: 'length', error: 'error' };

interface RawChoices {
  choices?: Array<{ finish_reason?: string | null }> | null;
}

function mistralFinish(raw: RawChoices): FinishReason | undefined {
  const reason = raw.choices?.[0]?.finish_reason;
  return reason ? MISTRAL_FINISH[reason] : undefined;
}

export function withMistralFinish(response: ChatResponse, raw: RawChoices): ChatResponse {
  const finish = mistralFinish(raw);
  return finish ? { ...response, finishReason: finish } : response;
}

export function withMistralFinishChunks(chunks: ChatChunk[], raw: RawChoices): ChatChunk[] {
  const finish = mistralFinish(raw);
  return finish ? chunks.map((c): ChatChunk => (c.type === 'finish' ? { type: 'finish', finishReason: finish } : c)) : chunks;
}

/** Base URL `https://api.mistral.ai/v1`; Bearer key; `max_tokens`. */
export function createMistralDispatcher(): Dispatcher {
  return createOpenAICompatibleDispatcher({
    kind: 'mistral',
    maxTokensField: 'max_tokens',
    mapRequestBody: (body) => toMistralChatBody(body),
    mapResponse: (response, raw) => withMistralFinish(response, raw),
    mapChunk: (chunks, raw) => withMistralFinishChunks(chunks, raw),
    mapEmbeddingsBody: (body) => toMistralEmbeddingsBody(body),
  });
}
