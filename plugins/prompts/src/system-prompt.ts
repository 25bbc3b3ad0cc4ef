/**
 * @module system-prompt
 * Rewrites a request's messages so the system prompt reads: safety prefix, persona, then the
 * caller's own system prompt (or, in `replace` mode, nothing of the caller's). The caller's
 * leading system messages are merged into the one leading system message, so nothing the
 * caller sends can come before the safety prefix; in `replace` mode system messages anywhere
 * in the conversation are dropped, so none can slip in later either.
 */
import type { ChatMessage, ContentBlock } from '@scaigrid/plugin-inference';
import type { PromptMode } from './config.js';

export interface SystemPromptParts {
  safetyPrefix?: string;
  persona?: string;
  mode: PromptMode;
  separator: string;
}

function textOf(message: ChatMessage): string {
  return message.content
    .filter((b): b is Extract<ContentBlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('');
}

export function applySystemPrompt(messages: readonly ChatMessage[], parts: SystemPromptParts): ChatMessage[] {
  if (!parts.safetyPrefix && !parts.persona) return [...messages];
  let leading = 0;
  while (leading < messages.length && messages[leading]!.role === 'system') leading++;
  const callerSystem = parts.mode === 'replace' ? [] : messages.slice(0, leading).map(textOf).filter((t) => t !== '');
  const rest = messages.slice(leading).filter((m) => parts.mode !== 'replace' || m.role !== 'system');
  const text = [parts.safetyPrefix, parts.persona, ...callerSystem].filter((t): t is string => !!t).join(parts.separator);
  return [{ role: 'system', content: [{ type: 'text', text }] }, ...rest];
}
