/**
 * @module mock-answer
 * What the mock model answers, decided from the request alone:
 * - the last message is a tool result → `tool result: <its text>` (so an agent loop ends);
 * - the last user text contains `call <name>` (optionally followed by a JSON object) and the
 *   request offers a tool of that name → a tool call with those arguments (default `{}`);
 * - otherwise the last user message's text, verbatim (an empty one answers `(empty)`).
 */
import { createHash } from 'node:crypto';
import { messageText, type ChatRequest, type ToolCall } from '@scaigrid/plugin-dispatch';

export type MockAnswer = { kind: 'text'; text: string } | { kind: 'tool'; call: ToolCall };

const CALL = /\bcall\s+([A-Za-z0-9_.-]+)\s*(\{.*\})?/s;

export function mockAnswer(request: ChatRequest): MockAnswer {
  const last = request.messages[request.messages.length - 1];
  if (last?.role === 'tool') return { kind: 'text', text: `tool result: ${messageText(last)}` };
  const userText = [...request.messages].reverse().find((m) => m.role === 'user');
  const text = userText ? messageText(userText) : '';
  const match = CALL.exec(text);
  if (match && request.toolChoice !== 'none' && request.tools?.some((t) => t.name === match[1])) {
    const args = match[2] && isJsonObject(match[2]) ? match[2] : '{}';
    const id = `call_${createHash('sha256').update(`${match[1]}:${args}:${request.messages.length}`).digest('hex').slice(0, 24)}`;
    return { kind: 'tool', call: { id, name: match[1], arguments: args } };
  }
  return { kind: 'text', text: text || '(empty)' };
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** Splits text into word-sized pieces (each keeps its trailing space) so streams have several chunks. */
export function streamPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [text];
}
