/**
 * @module fake-anthropic
 * A fake Anthropic API on 127.0.0.1 port 0 speaking the real wire format, written from the
 * Anthropic API reference: "Messages" (POST /v1/messages: `x-api-key`, required
 * `anthropic-version` and `max_tokens`, the message object with content blocks `text`,
 * `thinking`, `tool_use`, `stop_reason`, `usage`), "Streaming Messages" (named SSE events
 * message_start, content_block_start/delta/stop with text_delta, input_json_delta and
 * thinking_delta, ping, message_delta with stop_reason and cumulative output_tokens,
 * message_stop, and mid-stream `error` events) and "Errors" (`{type:'error', error:{type,
 * message}}`, 529 overloaded_error). Good enough for the official `@anthropic-ai/sdk`.
 *
 * @example
 * const fake = await startFakeAnthropic();
 * fake.script({ toolCalls: [{ name: 'get_weather', input: { city: 'Paris' } }] }, { status: 529 });
 * // provider baseUrl: fake.url (no /v1) … then assert fake.requests[0].headers['anthropic-version']
 */
import type { ServerResponse } from 'node:http';
import {
  dropConnection,
  estimateTokens,
  isHang,
  pieces,
  randomId,
  sendJson,
  sleep,
  slices,
  sseEvent,
  startFakeServer,
  writeSseStream,
  type FakeServer,
  type RecordedRequest,
  type ReplyTiming,
} from './fake-http.js';

export interface FakeAnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export interface FakeToolUse {
  name: string;
  input: Record<string, unknown>;
  id?: string;
}

interface AnswerCommon extends ReplyTiming {
  thinking?: string;
  stopReason?: string;
  /** Sets stop_reason `stop_sequence` and echoes it. */
  stopSequence?: string;
  usage?: FakeAnthropicUsage;
  /** Streams: send an `error` event after this many events, then end the stream. */
  streamError?: { afterChunks: number; type?: string; message?: string };
}

export type FakeAnthropicReply =
  | ({ text: string; toolCalls?: undefined } & AnswerCommon)
  | ({ toolCalls: FakeToolUse[]; text?: string } & AnswerCommon)
  /** An error response; `type` defaults from the status (429 rate_limit_error, 529 overloaded_error...). */
  | { status: number; message?: string; type?: string; retryAfter?: number; delayMs?: number }
  | { hang: true };

export interface FakeAnthropicOptions {
  /** When set, requests must carry `x-api-key: <apiKey>` or get Anthropic's 401. */
  apiKey?: string;
  defaultReply?: FakeAnthropicReply;
}

export type FakeAnthropic = FakeServer<FakeAnthropicReply>;
type AnswerReply = Exclude<FakeAnthropicReply, { status: number } | { hang: true }>;

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const defaultReply: FakeAnthropicReply = options.defaultReply ?? { text: 'Hello from the fake Anthropic upstream.' };
  return startFakeServer<FakeAnthropicReply>(async (request, scripted, res) => {
    const requestId = `req_${randomId(24)}`;
    const path = request.path.split('?')[0];
    if (request.method !== 'POST' || path !== '/v1/messages') {
      return sendError(res, requestId, { status: 404, message: 'Not found' });
    }
    if (options.apiKey !== undefined && request.headers['x-api-key'] !== options.apiKey) {
      return sendError(res, requestId, { status: 401, message: 'invalid x-api-key' });
    }
    if (!request.headers['anthropic-version']) {
      return sendError(res, requestId, { status: 400, message: 'anthropic-version: header is required' });
    }
    const body = request.body;
    if (typeof body !== 'object' || body === null || typeof body.model !== 'string') return sendError(res, requestId, { status: 400, message: 'model: Field required' });
    if (typeof body.max_tokens !== 'number') return sendError(res, requestId, { status: 400, message: 'max_tokens: Field required' });
    if (!Array.isArray(body.messages)) return sendError(res, requestId, { status: 400, message: 'messages: Field required' });

    const reply = scripted ?? defaultReply;
    if (isHang(reply)) return;
    if (reply.delayMs) await sleep(reply.delayMs);
    if ('status' in reply) return sendError(res, requestId, reply);
    if (reply.dropAfterChunks === 0 && body.stream !== true) return dropConnection(res);
    return body.stream === true ? streamMessage(res, requestId, request, reply) : sendMessage(res, requestId, request, reply);
  });
}

function contentBlocks(reply: AnswerReply) {
  const blocks: Array<Record<string, unknown>> = [];
  if (reply.thinking !== undefined) blocks.push({ type: 'thinking', thinking: reply.thinking, signature: `sig_${randomId(16)}` });
  if (reply.text !== undefined) blocks.push({ type: 'text', text: reply.text });
  for (const call of reply.toolCalls ?? []) blocks.push({ type: 'tool_use', id: call.id ?? `toolu_01${randomId(22)}`, name: call.name, input: call.input });
  return blocks;
}

function sendMessage(res: ServerResponse, requestId: string, request: RecordedRequest, reply: AnswerReply): void {
  const content = contentBlocks(reply);
  sendJson(
    res,
    200,
    {
      id: `msg_01${randomId(22)}`,
      type: 'message',
      role: 'assistant',
      model: request.body.model,
      content,
      stop_reason: stopReason(reply),
      stop_sequence: reply.stopSequence ?? null,
      usage: { ...usageObject(request, reply, content), service_tier: 'standard' },
    },
    { 'request-id': requestId },
  );
}

async function streamMessage(res: ServerResponse, requestId: string, request: RecordedRequest, reply: AnswerReply): Promise<void> {
  const event = (type: string, data: Record<string, unknown>) => sseEvent(JSON.stringify({ type, ...data }), type);
  const content = contentBlocks(reply);
  const usage = usageObject(request, reply, content);
  const events: string[] = [
    event('message_start', {
      message: {
        id: `msg_01${randomId(22)}`,
        type: 'message',
        role: 'assistant',
        model: request.body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    }),
  ];
  content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      if (index === 0) events.push(event('ping', {}));
      for (const piece of pieces(block.text as string)) events.push(event('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
    } else if (block.type === 'thinking') {
      events.push(event('content_block_start', { index, content_block: { type: 'thinking', thinking: '' } }));
      for (const piece of pieces(block.thinking as string)) events.push(event('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } }));
      events.push(event('content_block_delta', { index, delta: { type: 'signature_delta', signature: block.signature } }));
    } else {
      events.push(event('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } }));
      for (const part of slices(JSON.stringify(block.input))) events.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: part } }));
    }
    events.push(event('content_block_stop', { index }));
  });
  events.push(event('message_delta', { delta: { stop_reason: stopReason(reply), stop_sequence: reply.stopSequence ?? null }, usage: { output_tokens: usage.output_tokens } }));
  events.push(event('message_stop', {}));
  if (reply.streamError) {
    const { afterChunks, type = 'overloaded_error', message = 'Overloaded' } = reply.streamError;
    events.splice(afterChunks, events.length - afterChunks, event('error', { error: { type, message } }));
  }
  await writeSseStream(res, events, reply, { 'request-id': requestId });
}

function sendError(res: ServerResponse, requestId: string, error: { status: number; message?: string; type?: string; retryAfter?: number }): void {
  const headers: Record<string, string> = { 'request-id': requestId };
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  const type = error.type ?? ERROR_TYPES[error.status] ?? (error.status >= 500 ? 'api_error' : 'invalid_request_error');
  const message = error.message ?? (error.status === 529 ? 'Overloaded' : error.status === 429 ? 'Number of requests has exceeded your rate limit' : 'Internal server error');
  sendJson(res, error.status, { type: 'error', error: { type, message }, request_id: requestId }, headers);
}

function stopReason(reply: AnswerReply): string {
  if (reply.stopReason) return reply.stopReason;
  if (reply.stopSequence !== undefined) return 'stop_sequence';
  return (reply.toolCalls ?? []).length > 0 ? 'tool_use' : 'end_turn';
}

function usageObject(request: RecordedRequest, reply: AnswerReply, content: unknown[]) {
  return {
    input_tokens: reply.usage?.input_tokens ?? estimateTokens([request.body.system ?? '', request.body.messages]),
    cache_creation_input_tokens: reply.usage?.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: reply.usage?.cache_read_input_tokens ?? 0,
    output_tokens: reply.usage?.output_tokens ?? estimateTokens(content),
  };
}
