/**
 * @module mock-tokens
 * The mock provider's token count: `ceil(characters / 4)` per text (the usual rule of thumb
 * for English), summed over every text block, tool-call argument and tool result of the
 * request. Deterministic, so tests can assert exact usage and cost.
 */
import { messageText, type ChatRequest } from '@scaigrid/plugin-dispatch';

/** @example countTokens('hello world') // 3 */
export function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function countPromptTokens(request: ChatRequest): number {
  let tokens = 0;
  for (const message of request.messages) {
    tokens += countTokens(messageText(message));
    for (const call of message.toolCalls ?? []) tokens += countTokens(call.name) + countTokens(call.arguments);
  }
  return tokens;
}
