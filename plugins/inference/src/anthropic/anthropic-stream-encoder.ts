/**
 * @module anthropic/anthropic-stream-encoder
 * Internal chunks → Anthropic's named SSE events (API reference "Streaming Messages"):
 * `message_start` (empty content, input tokens), `ping`, then per content block
 * `content_block_start` / `content_block_delta` (`text_delta`, `thinking_delta`,
 * `input_json_delta`) / `content_block_stop`, and at the end `message_delta` (stop reason,
 * final usage) and `message_stop`. Anthropic blocks are strictly sequential, so a chunk of
 * another kind (or another tool call) closes the open block and opens the next; the
 * providers behind the gateway stream tool calls one after another, which this relies on.
 */
import type { ChatChunk, Usage } from '../chat-model.js';
import type { SseEvent } from '../sse-writer.js';
import { toAnthropicStopReason, toAnthropicUsage, type AnthropicStopReason, type MessageIdentity } from './anthropic-response-mapping.js';

type OpenBlock = { kind: 'text' } | { kind: 'thinking' } | { kind: 'tool'; toolIndex: number };

function event(type: string, payload: Record<string, unknown>): SseEvent {
  return { event: type, data: JSON.stringify({ type, ...payload }) };
}

export class AnthropicStreamEncoder {
  private open: OpenBlock | undefined;
  private nextIndex = 0;
  private stopReason: AnthropicStopReason | undefined;
  private sawToolUse = false;
  /** Tool-call indexes already given a block: a late delta for one cannot reopen it. */
  private readonly startedTools = new Set<number>();

  constructor(private readonly identity: MessageIdentity) {}

  /** `message_start` and a `ping`, sent once the upstream accepted the request. */
  start(inputTokensEstimate: number): SseEvent[] {
    const message = {
      id: this.identity.id,
      type: 'message',
      role: 'assistant',
      model: this.identity.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // The upstream's count usually arrives at the end; `message_delta` corrects this estimate.
      usage: { input_tokens: inputTokensEstimate, output_tokens: 0 },
    };
    return [event('message_start', { message }), event('ping', {})];
  }

  /** The events for one internal chunk (none for finish and usage, which are sent at the end). */
  encode(chunk: ChatChunk): SseEvent[] {
    switch (chunk.type) {
      case 'text':
        if (chunk.text === '') return [];
        return [...this.ensureOpen({ kind: 'text' }), this.delta({ type: 'text_delta', text: chunk.text })];
      case 'reasoning':
        if (chunk.text === '' || !this.identity.includeThinking) return [];
        return [...this.ensureOpen({ kind: 'thinking' }), this.delta({ type: 'thinking_delta', thinking: chunk.text })];
      case 'tool_call':
        return this.toolCall(chunk);
      case 'finish':
        this.stopReason = toAnthropicStopReason(chunk.finishReason);
        return [];
      case 'usage':
        return [];
    }
  }

  /** Closes the open block, then `message_delta` with the stop reason and usage, and `message_stop`. */
  finish(usage: Usage): SseEvent[] {
    const out = this.close();
    const stopReason = this.stopReason ?? (this.sawToolUse ? 'tool_use' : 'end_turn');
    const { input_tokens, output_tokens, cache_read_input_tokens } = toAnthropicUsage(usage);
    const deltaUsage: Record<string, number> = { input_tokens, output_tokens };
    if (cache_read_input_tokens !== undefined) deltaUsage.cache_read_input_tokens = cache_read_input_tokens;
    out.push(event('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: deltaUsage }));
    out.push(event('message_stop', {}));
    return out;
  }

  private toolCall(chunk: Extract<ChatChunk, { type: 'tool_call' }>): SseEvent[] {
    const out: SseEvent[] = [];
    const isOpen = this.open?.kind === 'tool' && this.open.toolIndex === chunk.index;
    if (!isOpen && !this.startedTools.has(chunk.index)) {
      out.push(...this.close());
      this.startedTools.add(chunk.index);
      this.sawToolUse = true;
      this.open = { kind: 'tool', toolIndex: chunk.index };
      const block = { type: 'tool_use', id: chunk.id ?? `toolu_${this.identity.id.slice(4)}_${chunk.index}`, name: chunk.name ?? '', input: {} };
      out.push(event('content_block_start', { index: this.nextIndex, content_block: block }));
    } else if (!isOpen) {
      // A delta for a call whose block is already closed: Anthropic's format has no way to add to it.
      return [];
    }
    if (chunk.argumentsDelta !== '') out.push(this.delta({ type: 'input_json_delta', partial_json: chunk.argumentsDelta }));
    return out;
  }

  private ensureOpen(block: { kind: 'text' } | { kind: 'thinking' }): SseEvent[] {
    if (this.open?.kind === block.kind) return [];
    const out = this.close();
    this.open = block;
    const contentBlock = block.kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
    out.push(event('content_block_start', { index: this.nextIndex, content_block: contentBlock }));
    return out;
  }

  private delta(delta: Record<string, unknown>): SseEvent {
    return event('content_block_delta', { index: this.nextIndex, delta });
  }

  private close(): SseEvent[] {
    if (!this.open) return [];
    this.open = undefined;
    return [event('content_block_stop', { index: this.nextIndex++ })];
  }
}
