/**
 * @module fake-openai
 * A fake OpenAI API on 127.0.0.1 port 0 that speaks the real wire format, written from the
 * OpenAI API reference: "Create chat completion" (POST /v1/chat/completions), "The chat
 * completion object", "The chat completion chunk object" (SSE `data:` lines ending with
 * `data: [DONE]`, a final usage chunk with `choices: []` when `stream_options.include_usage`
 * is set, `usage: null` on the others), "Create embeddings" (float, or base64 — the SDK's
 * default `encoding_format`), "List models", and the error object `{ error: { message, type,
 * param, code } }`. The official `openai` SDK accepts it (test/fakes/fake-upstreams.test.ts).
 * Each request is recorded; replies are scripted per request.
 *
 * @example
 * const fake = await startFakeOpenAI();
 * fake.script({ text: 'Hi there' }, { status: 429, retryAfter: 7 }, { text: 'cut', dropAfterChunks: 2 });
 * // provider baseUrl: fake.url (ends in /v1) … then assert fake.requests[0].body
 * await fake.close();
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

export interface FakeOpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  cached_tokens?: number;
  reasoning_tokens?: number;
}

export interface FakeToolCall {
  name: string;
  /** An object is JSON-encoded; a string is sent as is (to test invalid JSON). */
  arguments: string | Record<string, unknown>;
  id?: string;
}

export type FakeOpenAIReply =
  | ({ text: string; toolCalls?: undefined; finishReason?: string; usage?: FakeOpenAIUsage } & ReplyTiming)
  | ({ toolCalls: FakeToolCall[]; text?: string; finishReason?: string; usage?: FakeOpenAIUsage } & ReplyTiming)
  /** An error response: status, message, optional Retry-After seconds, OpenAI error type/code. */
  | { status: number; message?: string; retryAfter?: number; type?: string; code?: string | null; delayMs?: number }
  /** Never answers (for timeouts and client aborts before headers). */
  | { hang: true };

export interface FakeOpenAIOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get OpenAI's 401. */
  apiKey?: string;
  /** Used when no scripted reply is queued. Default `{ text: 'Hello from the fake OpenAI upstream.' }`. */
  defaultReply?: FakeOpenAIReply;
  /** Listed by GET /v1/models. */
  models?: string[];
}

export type FakeOpenAI = FakeServer<FakeOpenAIReply>;

const SYSTEM_FINGERPRINT = 'fp_fake0001';

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const defaultReply: FakeOpenAIReply = options.defaultReply ?? { text: 'Hello from the fake OpenAI upstream.' };
  return startFakeServer<FakeOpenAIReply>(async (request, scripted, res) => {
    const requestId = `req_${randomId(32)}`;
    const path = request.path.split('?')[0];
    if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      const provided = String(request.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
      return sendError(res, requestId, {
        status: 401,
        message: `Incorrect API key provided: ${provided}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      });
    }
    if (request.method === 'GET' && path === '/v1/models') {
      const created = Math.floor(Date.now() / 1000);
      const data = (options.models ?? ['gpt-4o-mini']).map((id) => ({ id, object: 'model', created, owned_by: 'openai' }));
      return sendJson(res, 200, { object: 'list', data }, { 'x-request-id': requestId });
    }
    if (request.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/v1/embeddings')) {
      return sendError(res, requestId, { status: 404, message: `Invalid URL (${request.method} ${path})`, type: 'invalid_request_error', code: null });
    }
    const body = request.body;
    if (typeof body !== 'object' || body === null || typeof body.model !== 'string') {
      return sendError(res, requestId, { status: 400, message: 'you must provide a model parameter', type: 'invalid_request_error', code: null });
    }
    const reply = scripted ?? defaultReply;
    if (isHang(reply)) return; // never answers; the client's abort or the server's close ends it
    if (reply.delayMs) await sleep(reply.delayMs);
    if ('status' in reply) return sendError(res, requestId, reply);
    if (reply.dropAfterChunks === 0) return dropConnection(res);
    if (path === '/v1/embeddings') return sendEmbeddings(res, requestId, body);
    if (!Array.isArray(body.messages)) {
      return sendError(res, requestId, { status: 400, message: "Missing required parameter: 'messages'.", type: 'invalid_request_error', code: 'missing_required_parameter' });
    }
    return body.stream === true ? streamCompletion(res, requestId, request, reply) : sendCompletion(res, requestId, request, reply);
  }, '/v1');
}

type AnswerReply = Exclude<FakeOpenAIReply, { status: number } | { hang: true }>;

function sendCompletion(res: ServerResponse, requestId: string, request: RecordedRequest, reply: AnswerReply): void {
  const toolCalls = (reply.toolCalls ?? []).map(wireToolCall);
  const message: Record<string, unknown> = { role: 'assistant', content: reply.text ?? null, refusal: null, annotations: [] };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  sendJson(
    res,
    200,
    {
      id: `chatcmpl-${randomId(29)}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: request.body.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply) }],
      usage: usageObject(request, reply),
      service_tier: 'default',
      system_fingerprint: SYSTEM_FINGERPRINT,
    },
    { 'x-request-id': requestId, 'openai-processing-ms': '12' },
  );
}

async function streamCompletion(res: ServerResponse, requestId: string, request: RecordedRequest, reply: AnswerReply): Promise<void> {
  const includeUsage = request.body.stream_options?.include_usage === true;
  const base = {
    id: `chatcmpl-${randomId(29)}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: request.body.model,
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    sseEvent(JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) }));

  const events: string[] = [];
  const toolCalls = reply.toolCalls ?? [];
  if (toolCalls.length === 0) {
    events.push(chunk({ role: 'assistant', content: '', refusal: null }, null));
    for (const piece of pieces(reply.text ?? '')) events.push(chunk({ content: piece }, null));
  } else {
    events.push(chunk({ role: 'assistant', content: reply.text ?? null, refusal: null }, null));
    toolCalls.map(wireToolCall).forEach((call, index) => {
      events.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, null));
      for (const part of slices(call.function.arguments)) events.push(chunk({ tool_calls: [{ index, function: { arguments: part } }] }, null));
    });
  }
  events.push(chunk({}, finishReason(reply)));
  if (includeUsage) events.push(sseEvent(JSON.stringify({ ...base, choices: [], usage: usageObject(request, reply) })));
  events.push(sseEvent('[DONE]'));
  await writeSseStream(res, events, reply, { 'x-request-id': requestId });
}

function sendEmbeddings(res: ServerResponse, requestId: string, body: { model: string; input: unknown; dimensions?: number; encoding_format?: string }): void {
  const inputs = Array.isArray(body.input) ? body.input.map(String) : [String(body.input)];
  const dimensions = body.dimensions ?? 8;
  // Deterministic vectors derived from the text, so tests can tell inputs apart.
  const data = inputs.map((text, index) => {
    const vector = Array.from({ length: dimensions }, (_, d) => Number((((text.charCodeAt(d % Math.max(1, text.length)) || 0) % 97) / 97 + d / 1000).toFixed(6)));
    // encoding_format base64 (the openai SDK's default): little-endian float32 bytes, base64-encoded.
    const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const promptTokens = inputs.reduce((sum, text) => sum + estimateTokens(text), 0);
  sendJson(res, 200, { object: 'list', data, model: body.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } }, { 'x-request-id': requestId });
}

function sendError(res: ServerResponse, requestId: string, error: { status: number; message?: string; retryAfter?: number; type?: string; code?: string | null }): void {
  const headers: Record<string, string> = { 'x-request-id': requestId };
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  const type = error.type ?? (error.status === 429 ? 'requests' : error.status >= 500 ? 'server_error' : 'invalid_request_error');
  const code = error.code !== undefined ? error.code : error.status === 429 ? 'rate_limit_exceeded' : null;
  const message = error.message ?? (error.status === 429 ? 'Rate limit reached for requests' : error.status >= 500 ? 'The server had an error while processing your request. Sorry about that!' : 'Invalid request');
  sendJson(res, error.status, { error: { message, type, param: null, code } }, headers);
}

function wireToolCall(call: FakeToolCall) {
  return {
    id: call.id ?? `call_${randomId(24)}`,
    type: 'function' as const,
    function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) },
  };
}

function finishReason(reply: AnswerReply): string {
  return reply.finishReason ?? ((reply.toolCalls ?? []).length > 0 ? 'tool_calls' : 'stop');
}

function usageObject(request: RecordedRequest, reply: AnswerReply) {
  const promptTokens = reply.usage?.prompt_tokens ?? estimateTokens(request.body.messages);
  const completionTokens = reply.usage?.completion_tokens ?? estimateTokens(reply.text ?? '') + (reply.toolCalls?.length ? estimateTokens(reply.toolCalls) : 0);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: reply.usage?.cached_tokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reply.usage?.reasoning_tokens ?? 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}
