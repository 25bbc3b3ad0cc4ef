/**
 * @module openai-stream
 * Turns OpenAI's streamed `chat.completion.chunk` events into normalized ChatChunks as they
 * arrive. The stream is complete only at `data: [DONE]`: an event source that ends before it
 * throws, so a cut connection never looks like a finished answer. Usage comes in the final
 * chunk (`choices: []`) because the dispatcher always sets `stream_options.include_usage`.
 */
import { UpstreamError, type ChatChunk } from '@scaigrid/plugin-dispatch';
import type { OpenAIChatCompletionChunk } from './openai-wire.js';
import { fromOpenAIFinishReason, fromOpenAIUsage } from './openai-response.js';
import type { SseEvent } from '@scaigrid/plugin-dispatch';
import { TextChunkTemplate } from './text-chunk-template.js';

export interface OpenAIStreamOptions {
  /** Names the upstream in errors. */
  label?: string;
  /** Adjusts the chunks mapped from one upstream event (provider-specific fields). */
  mapChunk?: (chunks: ChatChunk[], raw: OpenAIChatCompletionChunk) => ChatChunk[];
}

/**
 * @example for await (const chunk of openAIStreamChunks(sseEvents(res.body, call, label))) process(chunk);
 */
export async function* openAIStreamChunks(
  events: AsyncIterable<SseEvent | readonly SseEvent[]>,
  options: OpenAIStreamOptions = {},
): AsyncGenerator<ChatChunk> {
  for await (const batch of openAIStreamChunkBatches(events, options)) yield* batch;
}

/**
 * The same chunks, one array per input item: given `sseEventBatches`, the chunks one upstream
 * read carried travel on together (what dispatchers return; see ChatStreamItem). Never yields
 * an empty array.
 * @example return openAIStreamChunkBatches(sseEventBatches(response.body, call, label), { label });
 */
export async function* openAIStreamChunkBatches(
  events: AsyncIterable<SseEvent | readonly SseEvent[]>,
  options: OpenAIStreamOptions = {},
): AsyncGenerator<ChatChunk[]> {
  const label = options.label ?? 'upstream';
  // A provider's chunk mapping may read any field of the parsed event: only plain ones skip the parse.
  const template = options.mapChunk ? undefined : new TextChunkTemplate(soleTextOf);
  let done = false;
  try {
    for await (const item of events) {
      // One event, or the batch one body read carried (`sseEventBatches`).
      const batch: readonly SseEvent[] = Array.isArray(item) ? item : [item as SseEvent];
      const out: ChatChunk[] = [];
      // A failure mid-batch is thrown after the chunks before it are handed on, as one by one.
      let failure: UpstreamError | undefined;
      for (const event of batch) {
        // Read on to the end of the body instead of returning at [DONE]: an upstream response
        // dropped before its end closes the pooled keep-alive socket, so every stream would
        // open a new connection. [DONE] is the last event, so the end follows at once.
        if (done) continue;
        if (event.data === '[DONE]') {
          done = true;
          continue;
        }
        // Named events (`event: error`) are always parsed.
        const plain = event.event === undefined ? template : undefined;
        const matched = plain?.match(event.data);
        if (matched !== undefined) {
          out.push({ type: 'text', text: matched });
          continue;
        }
        let raw: OpenAIChatCompletionChunk;
        try {
          raw = JSON.parse(event.data) as OpenAIChatCompletionChunk;
        } catch {
          failure = new UpstreamError('protocol', `${label} sent a stream event that is not JSON`);
          break;
        }
        if (event.event === 'error' || (raw && typeof raw === 'object' && raw.error)) {
          failure = streamError(raw, label);
          break;
        }
        const mapped = fromOpenAIChunk(raw);
        const learnable = plain && soleText(mapped);
        if (learnable !== undefined) plain?.learn(event.data, learnable);
        for (const chunk of options.mapChunk ? options.mapChunk(mapped, raw) : mapped) out.push(chunk);
      }
      if (out.length > 0) yield out;
      if (failure) throw failure;
    }
  } catch (err) {
    // The answer was complete at [DONE]; a connection that fails after it changes nothing.
    if (done) return;
    throw err;
  }
  if (!done) throw new UpstreamError('protocol', `${label} stream ended before [DONE]`);
}

/** The normalized chunks carried by one upstream chunk (first choice only: we never ask for n > 1). */
export function fromOpenAIChunk(raw: OpenAIChatCompletionChunk): ChatChunk[] {
  const out: ChatChunk[] = [];
  const choice = raw.choices?.[0];
  if (choice) {
    const delta = choice.delta ?? {};
    if (delta.reasoning_content) out.push({ type: 'reasoning', text: delta.reasoning_content });
    if (delta.content) out.push({ type: 'text', text: delta.content });
    if (delta.refusal) out.push({ type: 'text', text: delta.refusal });
    for (const call of delta.tool_calls ?? []) {
      const chunk: ChatChunk = { type: 'tool_call', index: call.index ?? 0, argumentsDelta: call.function?.arguments ?? '' };
      if (call.id) chunk.id = call.id;
      if (call.function?.name) chunk.name = call.function.name;
      out.push(chunk);
    }
    if (choice.finish_reason) out.push({ type: 'finish', finishReason: fromOpenAIFinishReason(choice.finish_reason) });
  }
  if (raw.usage) out.push({ type: 'usage', usage: fromOpenAIUsage(raw.usage) });
  return out;
}

/** The text of chunks that are exactly one text chunk; undefined for any others. */
function soleText(mapped: readonly ChatChunk[]): string | undefined {
  return mapped.length === 1 && mapped[0]!.type === 'text' ? mapped[0]!.text : undefined;
}

/** The text of an event whose data maps to exactly one text chunk; undefined for any other event. */
export function soleTextOf(data: string): string | undefined {
  let raw: OpenAIChatCompletionChunk;
  try {
    raw = JSON.parse(data) as OpenAIChatCompletionChunk;
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object' || raw.error) return undefined;
  return soleText(fromOpenAIChunk(raw));
}

function streamError(raw: OpenAIChatCompletionChunk, label: string): UpstreamError {
  const error = raw?.error ?? {};
  const message = typeof error.message === 'string' ? error.message : 'stream error';
  const status = typeof error.code === 'number' ? error.code : undefined;
  return new UpstreamError('http', `${label} reported an error mid-stream: ${message}`, status, undefined, message);
}
