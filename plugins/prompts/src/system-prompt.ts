/**
 * @module system-prompt
 * Rewrites a request's messages so the system prompt reads: safety prefix, persona, then the
 * caller's own system prompt (or, in `replace` mode, nothing of the caller's). The caller's
 * leading system messages are merged into the one leading system message, so nothing the
 * caller sends can come before the safety prefix; in `replace` mode system messages anywhere
 * in the conversation are dropped, so none can slip in later either.
 */
import type { ChatMessage } from '@scaigrid/plugin-inference';
import type { PromptMode } from './config.js';

export interface SystemPromptParts {
  safetyPrefix?: string;
  persona?: string;
  mode: PromptMode;
  separator: string;
}

// Loops rather than slice/map/filter/join chains: this runs on every request of a model with a
// prompt, and the chains were ~0.9 % of a whole answer's CPU in the bench's profile.

function textOf(message: ChatMessage): string {
  let text = '';
  for (const block of message.content) if (block.type === 'text') text += block.text;
  return text;
}

export function applySystemPrompt(messages: readonly ChatMessage[], parts: SystemPromptParts): ChatMessage[] {
  if (!parts.safetyPrefix && !parts.persona) return [...messages];
  let leading = 0;
  while (leading < messages.length && messages[leading]!.role === 'system') leading++;
  const replace = parts.mode === 'replace';
  // Safety prefix, persona, then each of the caller's leading system texts: the non-empty ones, joined by the separator.
  let text = '';
  const add = (part: string | undefined) => {
    if (part) text = text === '' ? part : text + parts.separator + part;
  };
  add(parts.safetyPrefix);
  add(parts.persona);
  if (!replace) for (let i = 0; i < leading; i++) add(textOf(messages[i]!));
  const out: ChatMessage[] = [{ role: 'system', content: [{ type: 'text', text }] }];
  for (let i = leading; i < messages.length; i++) {
    const message = messages[i]!;
    if (!replace || message.role !== 'system') out.push(message);
  }
  return out;
}
