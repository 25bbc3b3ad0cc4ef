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
 * OpenAI-compatible providers (Azure, Mistral, Qwen, custom servers) reuse it through the
 * options below — paths, auth, request rules, error envelope, where stream usage goes and
 * extra response fields — in their own `fake-<provider>.ts`, instead of copying it.
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

interface AnswerFields extends ReplyTiming {
  finishReason?: string;
  usage?: FakeOpenAIUsage;
  /** `reasoning_content` (DeepSeek, Qwen, vLLM), sent before the text. */
  reasoning?: string;
}

/** An error response: status, message, optional Retry-After seconds, OpenAI error type/code. */
export interface FakeOpenAIError {
  status: number;
  message?: string;
  retryAfter?: number;
  type?: string;
  code?: string | null;
  delayMs?: number;
}

export type FakeOpenAIReply =
  | ({ text: string; toolCalls?: undefined } & AnswerFields)
  | ({ toolCalls: FakeToolCall[]; text?: string } & AnswerFields)
  | FakeOpenAIError
  /** Never answers (for timeouts and client aborts before headers). */
  | { hang: true };

export type FakeEndpoint = 'chat' | 'embeddings';
export type FakeAnswer = Exclude<FakeOpenAIReply, FakeOpenAIError | { hang: true }>;

export interface FakeOpenAIOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get OpenAI's 401. */
  apiKey?: string;
  /** Used when no scripted reply is queued. Default `{ text: 'Hello from the fake OpenAI upstream.' }`. */
  defaultReply?: FakeOpenAIReply;
  /** Listed by GET /v1/models. */
  models?: string[];
  /** What `url` ends with after the origin, and the prefix of the default paths. Default `/v1`. */
  basePath?: string;
  /** Which endpoint a POST path (query stripped) serves. Default `<basePath>/chat/completions` and `<basePath>/embeddings`. */
  route?(path: string, query: URLSearchParams): FakeEndpoint | undefined;
  /** Replaces the Bearer check: the error to answer with, or undefined to accept. */
  checkAuth?(request: RecordedRequest): FakeOpenAIError | undefined;
  /** The provider's own request rules (fields it rejects...), checked before the scripted reply. */
  checkRequest?(request: RecordedRequest, endpoint: FakeEndpoint): FakeOpenAIError | undefined;
  /** The provider's error envelope. Default OpenAI's `{ error: { message, type, param, code } }`. */
  errorBody?(error: Required<Pick<FakeOpenAIError, 'status' | 'message' | 'type'>> & FakeOpenAIError, requestId: string): unknown;
  /** `requested` (OpenAI: a last `choices: []` chunk when `stream_options.include_usage`) or `with-finish` (Mistral: on the finish chunk, always). */
  streamUsage?: 'requested' | 'with-finish';
  /** Whether the request asked for reasoning (Qwen: `enable_thinking`). Default: always. */
  reasoningEnabled?(request: RecordedRequest): boolean;
  /** Tool-call ids the provider makes. Default `call_` + 24 characters. */
  toolCallId?(): string;
  /** Adds provider fields to a completion object, in place. */
  decorateCompletion?(completion: Record<string, any>, reply: FakeAnswer, request: RecordedRequest): void;
  /** Adds provider fields to a stream chunk, in place. */
  decorateChunk?(chunk: Record<string, any>, reply: FakeAnswer, request: RecordedRequest): void;
  /** Chunks sent before the first choice chunk (Azure's `prompt_filter_results`). */
  streamPrelude?(base: Record<string, unknown>, reply: FakeAnswer, request: RecordedRequest): Record<string, unknown>[];
}

export type FakeOpenAI = FakeServer<FakeOpenAIReply>;

const SYSTEM_FINGERPRINT = 'fp_fake0001';

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const defaultReply: FakeOpenAIReply = options.defaultReply ?? { text: 'Hello from the fake OpenAI upstream.' };
  const basePath = options.basePath ?? '/v1';
  const route = options.route ?? ((path: string) => ({ [`${basePath}/chat/completions`]: 'chat', [`${basePath}/embeddings`]: 'embeddings' } as const)[path]);
  const sendError = (res: ServerResponse, requestId: string, error: FakeOpenAIError) => sendErrorReply(res, requestId, error, options);
  return startFakeServer<FakeOpenAIReply>(async (request, scripted, res) => {
    const requestId = `req_${randomId(32)}`;
    const [path, query = ''] = request.path.split('?');
    const authError = options.checkAuth ? options.checkAuth(request) : bearerCheck(request, options.apiKey);
    if (authError) return sendError(res, requestId, authError);
    if (request.method === 'GET' && path === `${basePath}/models`) {
      const created = Math.floor(Date.now() / 1000);
      const data = (options.models ?? ['gpt-4o-mini']).map((id) => ({ id, object: 'model', created, owned_by: 'openai' }));
      return sendJson(res, 200, { object: 'list', data }, { 'x-request-id': requestId });
    }
    const endpoint = request.method === 'POST' ? route(path, new URLSearchParams(query)) : undefined;
    if (!endpoint) {
      return sendError(res, requestId, { status: 404, message: `Invalid URL (${request.method} ${path})`, type: 'invalid_request_error', code: null });
    }
    const body = request.body;
    if (typeof body !== 'object' || body === null || typeof body.model !== 'string') {
      return sendError(res, requestId, { status: 400, message: 'you must provide a model parameter', type: 'invalid_request_error', code: null });
    }
    const rejected = options.checkRequest?.(request, endpoint);
    if (rejected) return sendError(res, requestId, rejected);
    const reply = scripted ?? defaultReply;
    if (isHang(reply)) return; // never answers; the client's abort or the server's close ends it
    if (reply.delayMs) await sleep(reply.delayMs);
    if ('status' in reply) return sendError(res, requestId, reply);
    if (reply.dropAfterChunks === 0 && body.stream !== true) return dropConnection(res);
    if (endpoint === 'embeddings') return sendEmbeddings(res, requestId, body);
    if (!Array.isArray(body.messages)) {
      return sendError(res, requestId, { status: 400, message: "Missing required parameter: 'messages'.", type: 'invalid_request_error', code: 'missing_required_parameter' });
    }
    const answer = withToolCallIds(reply, options);
    return body.stream === true ? streamCompletion(res, requestId, request, answer, options) : sendCompletion(res, requestId, request, answer, options);
  }, basePath);
}

function bearerCheck(request: RecordedRequest, apiKey: string | undefined): FakeOpenAIError | undefined {
  if (apiKey === undefined || request.headers.authorization === `Bearer ${apiKey}`) return undefined;
  const provided = String(request.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
  return {
    status: 401,
    message: `Incorrect API key provided: ${provided}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  };
}

/** Fixes tool-call ids once per reply, so a stream and its tool deltas agree. */
function withToolCallIds(reply: FakeAnswer, options: FakeOpenAIOptions): FakeAnswer {
  if (!reply.toolCalls) return reply;
  const makeId = options.toolCallId ?? (() => `call_${randomId(24)}`);
  return { ...reply, toolCalls: reply.toolCalls.map((call) => ({ ...call, id: call.id ?? makeId() })) };
}

function sendCompletion(res: ServerResponse, requestId: string, request: RecordedRequest, reply: FakeAnswer, options: FakeOpenAIOptions): void {
  const toolCalls = (reply.toolCalls ?? []).map(wireToolCall);
  const message: Record<string, unknown> = { role: 'assistant', content: reply.text ?? null, refusal: null, annotations: [] };
  const reasoning = reasoningOf(reply, request, options);
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const completion: Record<string, any> = {
    id: `chatcmpl-${randomId(29)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.body.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply) }],
    usage: usageObject(request, reply),
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
  options.decorateCompletion?.(completion, reply, request);
  sendJson(res, 200, completion, { 'x-request-id': requestId, 'openai-processing-ms': '12' });
}

async function streamCompletion(res: ServerResponse, requestId: string, request: RecordedRequest, reply: FakeAnswer, options: FakeOpenAIOptions): Promise<void> {
  const usageMode = options.streamUsage ?? 'requested';
  const includeUsage = usageMode === 'requested' && request.body.stream_options?.include_usage === true;
  const base = {
    id: `chatcmpl-${randomId(29)}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: request.body.model,
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
  const chunk = (delta: Record<string, unknown>, finish: string | null) => {
    const out: Record<string, any> = { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) };
    if (finish !== null && usageMode === 'with-finish') out.usage = usageObject(request, reply);
    options.decorateChunk?.(out, reply, request);
    return sseEvent(JSON.stringify(out));
  };

  const events: string[] = (options.streamPrelude?.(base, reply, request) ?? []).map((prelude) => sseEvent(JSON.stringify(prelude)));
  const reasoning = reasoningOf(reply, request, options);
  const toolCalls = reply.toolCalls ?? [];
  if (reasoning !== undefined) {
    events.push(chunk({ role: 'assistant', content: null, reasoning_content: '' }, null));
    for (const piece of pieces(reasoning)) events.push(chunk({ reasoning_content: piece }, null));
  }
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

function reasoningOf(reply: FakeAnswer, request: RecordedRequest, options: FakeOpenAIOptions): string | undefined {
  if (reply.reasoning === undefined) return undefined;
  return options.reasoningEnabled === undefined || options.reasoningEnabled(request) ? reply.reasoning : undefined;
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

function sendErrorReply(res: ServerResponse, requestId: string, error: FakeOpenAIError, options: FakeOpenAIOptions): void {
  const headers: Record<string, string> = { 'x-request-id': requestId };
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  const type = error.type ?? (error.status === 429 ? 'requests' : error.status >= 500 ? 'server_error' : 'invalid_request_error');
  const code = error.code !== undefined ? error.code : error.status === 429 ? 'rate_limit_exceeded' : null;
  const message = error.message ?? (error.status === 429 ? 'Rate limit reached for requests' : error.status >= 500 ? 'The server had an error while processing your request. Sorry about that!' : 'Invalid request');
  const body = options.errorBody ? options.errorBody({ ...error, type, message, code }, requestId) : { error: { message, type, param: null, code } };
  sendJson(res, error.status, body, headers);
}

function wireToolCall(call: FakeToolCall) {
  return {
    id: call.id ?? `call_${randomId(24)}`,
    type: 'function' as const,
    function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments) },
  };
}

function finishReason(reply: FakeAnswer): string {
  return reply.finishReason ?? ((reply.toolCalls ?? []).length > 0 ? 'tool_calls' : 'stop');
}

function usageObject(request: RecordedRequest, reply: FakeAnswer) {
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
