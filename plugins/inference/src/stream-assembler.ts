/**
 * @module stream-assembler
 * Rebuilds the whole answer from streamed chunks, so `afterResponse` hooks see a stream's
 * result in the same shape as a non-streamed one (audit, accounting), and counts output
 * characters for the usage estimate while the stream runs.
 */
import type { ChatChunk, ChatResponse, ContentBlock, FinishReason, ToolCall, Usage } from './chat-model.js';

export class StreamAssembler {
  private text = '';
  private reasoning = '';
  private readonly toolCalls = new Map<number, ToolCall>();
  private finishReason: FinishReason | undefined;
  private usage: Usage | undefined;
  /** Characters of model output so far (text, reasoning, tool names and arguments). */
  outputChars = 0;

  add(chunk: ChatChunk): void {
    switch (chunk.type) {
      case 'text':
        this.text += chunk.text;
        this.outputChars += chunk.text.length;
        break;
      case 'reasoning':
        this.reasoning += chunk.text;
        this.outputChars += chunk.text.length;
        break;
      case 'tool_call': {
        const call = this.toolCalls.get(chunk.index) ?? { id: '', name: '', arguments: '' };
        if (chunk.id) call.id = chunk.id;
        if (chunk.name) {
          call.name = chunk.name;
          this.outputChars += chunk.name.length;
        }
        call.arguments += chunk.argumentsDelta;
        this.outputChars += chunk.argumentsDelta.length;
        this.toolCalls.set(chunk.index, call);
        break;
      }
      case 'finish':
        this.finishReason = chunk.finishReason;
        break;
      case 'usage':
        this.usage = chunk.usage;
        break;
    }
  }

  /** Upstream-reported usage, if any chunk carried it. */
  get reportedUsage(): Usage | undefined {
    return this.usage;
  }

  response(model: string): ChatResponse {
    const content: ContentBlock[] = [];
    if (this.reasoning) content.push({ type: 'reasoning', text: this.reasoning });
    if (this.text) content.push({ type: 'text', text: this.text });
    const toolCalls = [...this.toolCalls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    const response: ChatResponse = {
      model,
      message: toolCalls.length > 0 ? { role: 'assistant', content, toolCalls } : { role: 'assistant', content },
      finishReason: this.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    };
    if (this.usage) response.usage = this.usage;
    return response;
  }
}
