/**
 * @module usage-estimate
 * Rough token counts for when an upstream reports none (a stream cut short, a provider that
 * omits usage): about four characters per token, plus a few tokens of framing per message.
 * Accounting needs a number to settle; an estimate flagged as such beats charging nothing.
 */
import type { ChatRequest } from './chat-model.js';

const CHARS_PER_TOKEN = 4;
const TOKENS_PER_MESSAGE = 4;

export function estimateTokens(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

export function estimatePromptTokens(request: ChatRequest): number {
  let chars = 0;
  for (const message of request.messages) {
    for (const block of message.content) chars += block.type === 'image' ? 0 : block.text.length;
    for (const call of message.toolCalls ?? []) chars += call.name.length + call.arguments.length;
  }
  for (const tool of request.tools ?? []) chars += JSON.stringify(tool).length;
  return estimateTokens(chars) + TOKENS_PER_MESSAGE * request.messages.length;
}
