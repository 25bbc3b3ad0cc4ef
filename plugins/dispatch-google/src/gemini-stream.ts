/**
 * @module gemini-stream
 * Turns `:streamGenerateContent?alt=sse` into normalized ChatChunks as events arrive (Gemini
 * API reference — "models.streamGenerateContent"). Each SSE event is a whole
 * GenerateContentResponse holding the next piece: text parts are deltas, a `functionCall`
 * part arrives complete (one tool_call chunk with all its arguments), `usageMetadata` is
 * cumulative so the last one counts. There is no terminal event: the answer is complete when
 * the body ends after a candidate carried a `finishReason` (or the prompt was blocked); a
 * body that ends without one is a cut stream and throws.
 */
import { UpstreamError, type ChatChunk } from '@scaigrid/plugin-dispatch';
import type { SseEvent } from '@scaigrid/plugin-dispatch';
import type { GeminiError, GeminiGenerateContentResponse, GeminiUsageMetadata } from './gemini-wire.js';
import { candidateParts, fromGeminiFinishReason, fromGeminiUsage, toToolCall } from './gemini-response.js';

/** HTTP status of each google.rpc status name, for errors reported inside the stream. */
const STATUS_CODES: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/**
 * @example for await (const chunk of geminiStreamChunks(sseEvents(res.body, call, label), label)) process(chunk);
 */
export async function* geminiStreamChunks(events: AsyncIterable<SseEvent>, label = 'upstream'): AsyncGenerator<ChatChunk> {
  let usage: GeminiUsageMetadata | undefined;
  let finishReason: string | undefined;
  let blocked = false;
  let responseId: string | undefined;
  let toolCalls = 0;
  for await (const sse of events) {
    const event = parseEvent(sse.data, label);
    if (event.error) throw streamError(event.error, label);
    responseId ??= event.responseId;
    if (event.usageMetadata) usage = event.usageMetadata;
    for (const part of candidateParts(event)) {
      if ('functionCall' in part) {
        const call = toToolCall(part.functionCall, toolCalls, responseId);
        yield { type: 'tool_call', index: toolCalls++, id: call.id, name: call.name, argumentsDelta: call.arguments };
      } else if ('text' in part && typeof part.text === 'string' && part.text !== '') {
        yield { type: part.thought === true ? 'reasoning' : 'text', text: part.text };
      }
    }
    const candidate = event.candidates?.[0];
    if (candidate?.finishReason) finishReason = candidate.finishReason;
    if (!candidate && event.promptFeedback?.blockReason) blocked = true;
  }
  if (finishReason === undefined && !blocked) throw new UpstreamError('protocol', `${label} stream ended before a finishReason`);
  yield { type: 'finish', finishReason: blocked && finishReason === undefined ? 'content_filter' : fromGeminiFinishReason(finishReason, toolCalls > 0) };
  if (usage) yield { type: 'usage', usage: fromGeminiUsage(usage) };
}

function parseEvent(data: string, label: string): GeminiGenerateContentResponse {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    event = undefined;
  }
  if (typeof event !== 'object' || event === null) throw new UpstreamError('protocol', `${label} sent a stream event that is not a JSON object`);
  return event as GeminiGenerateContentResponse;
}

function streamError(error: GeminiError, label: string): UpstreamError {
  const status = typeof error.code === 'number' ? error.code : (STATUS_CODES[error.status ?? ''] ?? 500);
  const message = error.message ?? error.status ?? 'stream error';
  return new UpstreamError('http', `${label} reported ${error.status ?? status} mid-stream: ${message}`, status, undefined, message);
}
