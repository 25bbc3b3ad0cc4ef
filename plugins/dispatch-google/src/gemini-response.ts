/**
 * @module gemini-response
 * Pure mapping from Gemini's GenerateContentResponse to the normalized ChatResponse (Gemini
 * API reference — "models.generateContent": Candidate, FinishReason, UsageMetadata,
 * PromptFeedback). Text parts concatenate, `thought: true` parts become reasoning,
 * `functionCall` parts become tool calls with JSON-string arguments. Gemini usually gives a
 * call no id, so one is derived from the response id, the call's position, name and args:
 * the same response yields the same ids whole or streamed, and ids we made up are never sent
 * back upstream (gemini-request). A prompt blocked before any candidate
 * (`promptFeedback.blockReason`) is an empty `content_filter` answer, not a failure.
 */
import { createHash } from 'node:crypto';
import { UpstreamError, type ChatResponse, type ContentBlock, type FinishReason, type ToolCall, type Usage } from '@scaigrid/plugin-dispatch';
import type { GeminiFunctionCall, GeminiGenerateContentResponse, GeminiPart, GeminiUsageMetadata } from './gemini-wire.js';

const SYNTHETIC_ID_PREFIX = 'call_gemini_';

const CONTENT_FILTER_REASONS = new Set([
  'SAFETY',
  'RECITATION',
  'LANGUAGE',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);
const ERROR_REASONS = new Set(['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS']);

/**
 * @example fromGeminiResponse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, finishReason: 'STOP' }] }, 'gemini-2.5-flash')
 * // → { model: 'gemini-2.5-flash', message: { role: 'assistant', content: [{ type: 'text', text: 'Hi' }] }, finishReason: 'stop' }
 */
export function fromGeminiResponse(raw: GeminiGenerateContentResponse, requestedModel: string): ChatResponse {
  if (typeof raw !== 'object' || raw === null) throw new UpstreamError('protocol', 'Upstream answer is not a GenerateContentResponse object');
  const candidate = raw.candidates?.[0];
  const content: ContentBlock[] = [];
  const toolCalls: ToolCall[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    if ('functionCall' in part) toolCalls.push(toToolCall(part.functionCall, toolCalls.length, raw.responseId));
    else if ('text' in part && typeof part.text === 'string') appendText(content, part.thought === true ? 'reasoning' : 'text', part.text);
  }
  let finishReason: FinishReason;
  if (!candidate) {
    if (!raw.promptFeedback?.blockReason) throw new UpstreamError('protocol', 'Upstream answer has neither candidates nor promptFeedback.blockReason');
    finishReason = 'content_filter';
  } else {
    finishReason = fromGeminiFinishReason(candidate.finishReason, toolCalls.length > 0);
  }
  const response: ChatResponse = {
    model: raw.modelVersion ?? requestedModel,
    message: toolCalls.length > 0 ? { role: 'assistant', content, toolCalls } : { role: 'assistant', content },
    finishReason,
  };
  if (raw.responseId) response.id = raw.responseId;
  if (raw.usageMetadata) response.usage = fromGeminiUsage(raw.usageMetadata);
  return response;
}

function appendText(content: ContentBlock[], type: 'text' | 'reasoning', text: string): void {
  const last = content.at(-1);
  if (last && last.type === type) last.text += text;
  else content.push({ type, text });
}

/** Gemini reports STOP after function calls; clients expect `tool_calls` then. */
export function fromGeminiFinishReason(reason: string | undefined, calledTools: boolean): FinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason !== undefined && CONTENT_FILTER_REASONS.has(reason)) return 'content_filter';
  if (reason !== undefined && ERROR_REASONS.has(reason)) return 'error';
  // STOP, OTHER, FINISH_REASON_UNSPECIFIED and reasons added later.
  return calledTools ? 'tool_calls' : 'stop';
}

/**
 * promptTokenCount already includes cached tokens; thoughts are billed as output but counted
 * apart from candidatesTokenCount, so completion tokens are their sum (as OpenAI counts them).
 */
export function fromGeminiUsage(usage: GeminiUsageMetadata): Usage {
  const thoughts = usage.thoughtsTokenCount ?? 0;
  const out: Usage = { promptTokens: usage.promptTokenCount ?? 0, completionTokens: (usage.candidatesTokenCount ?? 0) + thoughts };
  if (usage.cachedContentTokenCount != null) out.cachedPromptTokens = usage.cachedContentTokenCount;
  if (usage.thoughtsTokenCount != null) out.reasoningTokens = thoughts;
  return out;
}

/** A function call as a normalized tool call; `ordinal` counts the calls of the response so far. */
export function toToolCall(call: GeminiFunctionCall, ordinal: number, responseId: string | undefined): ToolCall {
  const args = JSON.stringify(call.args ?? {});
  return { id: call.id ?? syntheticCallId(responseId, ordinal, call.name, args), name: call.name, arguments: args };
}

export function syntheticCallId(responseId: string | undefined, ordinal: number, name: string, args: string): string {
  const digest = createHash('sha256').update(`${responseId ?? ''}\u0000${ordinal}\u0000${name}\u0000${args}`).digest('hex');
  return `${SYNTHETIC_ID_PREFIX}${digest.slice(0, 24)}`;
}

/** Whether the gateway made this id up (so it must not be sent to Gemini as a call id). */
export function isSyntheticCallId(id: string): boolean {
  return id.startsWith(SYNTHETIC_ID_PREFIX);
}

/** Parts of the first candidate, for stream handling. */
export function candidateParts(raw: GeminiGenerateContentResponse): GeminiPart[] {
  return raw.candidates?.[0]?.content?.parts ?? [];
}
