/**
 * @module fake-google
 * A fake Gemini API on 127.0.0.1 port 0 speaking the real wire format, written from the
 * Gemini API reference: "models.generateContent" (POST /v1beta/models/{model}:generateContent,
 * `x-goog-api-key`, GenerateContentRequest with contents/parts, systemInstruction, tools,
 * toolConfig, generationConfig; the response's candidates, finishReason, usageMetadata,
 * promptFeedback.blockReason, modelVersion, responseId), "models.streamGenerateContent"
 * (`?alt=sse`: one whole GenerateContentResponse per `data:` event, no terminal event),
 * "Function calling" (functionCall / functionResponse parts), "Thinking" (`thought: true`
 * parts, thoughtsTokenCount), "models.batchEmbedContents" and the error shape
 * `{error: {code, message, status}}` (429 RESOURCE_EXHAUSTED with a RetryInfo detail).
 *
 * Like the real API it answers 400 INVALID_ARGUMENT ("Unknown name …") for fields it does
 * not know, including JSON Schema keywords such as `additionalProperties` inside a function
 * declaration's `parameters`, so a dispatcher that forwards them fails here as it would there.
 *
 * @example
 * const fake = await startFakeGoogle({ apiKey: 'g-key' });
 * fake.script({ functionCalls: [{ name: 'get_weather', args: { city: 'Oslo' } }] }, { status: 429 }, { blockReason: 'SAFETY' });
 * // provider baseUrl: fake.url (no version) … then assert fake.requests[0].path, .headers['x-goog-api-key'], .body
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
  sseEvent,
  startFakeServer,
  writeSseStream,
  type FakeServer,
  type RecordedRequest,
  type ReplyTiming,
} from './fake-http.js';

export interface FakeGoogleUsage {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
}

export interface FakeFunctionCall {
  name: string;
  args: Record<string, unknown>;
  /** Gemini usually sends none; set it to test ids that do come from upstream. */
  id?: string;
}

interface FakeGoogleAnswer extends ReplyTiming {
  text?: string;
  /** A thought summary part (`thought: true`) before the answer. */
  thought?: string;
  functionCalls?: FakeFunctionCall[];
  /** Default STOP (also after function calls, as the API does). */
  finishReason?: string;
  usage?: FakeGoogleUsage;
}

export type FakeGoogleReply =
  | FakeGoogleAnswer
  /** The prompt is blocked: no candidates, `promptFeedback.blockReason`. */
  | { blockReason: string; delayMs?: number }
  /** An error response; `statusName` defaults from the status (429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE...). */
  | { status: number; message?: string; statusName?: string; retryDelaySeconds?: number; delayMs?: number }
  | { hang: true };

export interface FakeGoogleOptions {
  /** When set, requests must carry `x-goog-api-key: <apiKey>` (or `?key=`), as the API requires. */
  apiKey?: string;
  defaultReply?: FakeGoogleReply;
}

export type FakeGoogle = FakeServer<FakeGoogleReply>;
type ErrorReply = Extract<FakeGoogleReply, { status: number }>;

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const REQUEST_FIELDS = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'safetySettings', 'cachedContent']);
const GENERATION_CONFIG_FIELDS = new Set([
  'stopSequences', 'responseMimeType', 'responseSchema', 'responseJsonSchema', 'responseModalities', 'candidateCount', 'maxOutputTokens',
  'temperature', 'topP', 'topK', 'seed', 'presencePenalty', 'frequencyPenalty', 'responseLogprobs', 'logprobs', 'thinkingConfig',
]);
/** Fields of the API's Schema object (an OpenAPI 3.0 subset). */
const SCHEMA_FIELDS = new Set([
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required', 'minProperties',
  'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering', 'default', 'items', 'minimum', 'maximum',
]);

export async function startFakeGoogle(options: FakeGoogleOptions = {}): Promise<FakeGoogle> {
  const defaultReply: FakeGoogleReply = options.defaultReply ?? { text: 'Hello from the fake Gemini upstream.' };
  return startFakeServer<FakeGoogleReply>(async (request, scripted, res) => {
    const url = new URL(request.path, 'http://fake');
    const match = /^\/v1beta\/(models\/[^/:]+):(generateContent|streamGenerateContent|batchEmbedContents)$/.exec(url.pathname);
    if (request.method !== 'POST' || !match) return sendError(res, { status: 404, message: `Requested entity was not found.` });
    const key = request.headers['x-goog-api-key'] ?? url.searchParams.get('key');
    if (options.apiKey !== undefined && key === undefined) {
      return sendError(res, { status: 403, message: "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API." });
    }
    if (options.apiKey !== undefined && key !== options.apiKey) return sendError(res, { status: 400, message: 'API key not valid. Please pass a valid API key.' });
    const [, model, method] = match;
    const invalid = method === 'batchEmbedContents' ? embedProblem(request.body, model) : generateProblem(request.body);
    if (invalid) return sendError(res, { status: 400, message: invalid });

    const reply = scripted ?? defaultReply;
    if (isHang(reply)) return;
    if ('delayMs' in reply && reply.delayMs) await sleep(reply.delayMs);
    if ('status' in reply) return sendError(res, reply);
    if (method === 'batchEmbedContents') return sendEmbeddings(res, request.body);
    if ('dropAfterChunks' in reply && reply.dropAfterChunks === 0 && method === 'generateContent') return dropConnection(res);
    const modelVersion = model.slice('models/'.length);
    if (method === 'generateContent') return sendJson(res, 200, wholeResponse(request, reply, modelVersion));
    const events = streamResponses(request, reply, modelVersion).map((event) => JSON.stringify(event));
    // Without alt=sse the API streams one JSON array; clients of this fake always ask for SSE.
    if (url.searchParams.get('alt') !== 'sse') return sendJson(res, 200, events.map((e) => JSON.parse(e)));
    return writeSseStream(res, events.map((data) => sseEvent(data)), 'blockReason' in reply ? {} : reply);
  });
}

function generateProblem(body: any): string | undefined {
  if (typeof body !== 'object' || body === null) return 'Invalid JSON payload received.';
  const unknown = Object.keys(body).find((field) => !REQUEST_FIELDS.has(field));
  if (unknown) return `Invalid JSON payload received. Unknown name "${unknown}": Cannot find field.`;
  if (!Array.isArray(body.contents) || body.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified';
  for (const [i, content] of body.contents.entries()) {
    if (content.role !== 'user' && content.role !== 'model') return `* GenerateContentRequest.contents[${i}].role: must be user or model`;
    if (!Array.isArray(content.parts) || content.parts.length === 0) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`;
  }
  const unknownConfig = Object.keys(body.generationConfig ?? {}).find((field) => !GENERATION_CONFIG_FIELDS.has(field));
  if (unknownConfig) return `Invalid JSON payload received. Unknown name "${unknownConfig}" at 'generation_config': Cannot find field.`;
  for (const [t, tool] of (body.tools ?? []).entries()) {
    for (const [f, declaration] of (tool.functionDeclarations ?? []).entries()) {
      const bad = declaration.parameters && schemaProblem(declaration.parameters);
      if (bad) return `Invalid JSON payload received. Unknown name "${bad}" at 'tools[${t}].function_declarations[${f}].parameters': Cannot find field.`;
    }
  }
  const responseSchemaProblem = body.generationConfig?.responseSchema && schemaProblem(body.generationConfig.responseSchema);
  if (responseSchemaProblem) return `Invalid JSON payload received. Unknown name "${responseSchemaProblem}" at 'generation_config.response_schema': Cannot find field.`;
  return undefined;
}

/** The first keyword outside the Schema subset, searched recursively. */
function schemaProblem(schema: Record<string, any>): string | undefined {
  for (const [key, value] of Object.entries(schema)) {
    if (!SCHEMA_FIELDS.has(key)) return key;
    const nested = key === 'properties' ? Object.values(value ?? {}) : key === 'items' ? [value] : key === 'anyOf' ? value : [];
    for (const sub of nested as Record<string, any>[]) {
      const bad = schemaProblem(sub ?? {});
      if (bad) return bad;
    }
  }
  return undefined;
}

function embedProblem(body: any, model: string): string | undefined {
  if (!Array.isArray(body?.requests) || body.requests.length === 0) return '* BatchEmbedContentsRequest.requests: requests is not specified';
  const index = body.requests.findIndex((r: any) => r.model !== model);
  if (index >= 0) return `* BatchEmbedContentsRequest.requests[${index}].model: model must be ${model}, the model of the batch`;
  return undefined;
}

function answerParts(reply: FakeGoogleAnswer): Array<Record<string, unknown>> {
  const parts: Array<Record<string, unknown>> = [];
  if (reply.thought !== undefined) parts.push({ text: reply.thought, thought: true });
  if (reply.text !== undefined) parts.push({ text: reply.text });
  for (const call of reply.functionCalls ?? []) {
    parts.push({ functionCall: { ...(call.id ? { id: call.id } : {}), name: call.name, args: call.args }, thoughtSignature: `sig${randomId(12)}` });
  }
  return parts;
}

function usageMetadata(request: RecordedRequest, reply: FakeGoogleAnswer) {
  const prompt = reply.usage?.promptTokenCount ?? estimateTokens([request.body.systemInstruction ?? '', request.body.contents]);
  const candidates = reply.usage?.candidatesTokenCount ?? estimateTokens([reply.text ?? '', reply.functionCalls ?? []]);
  const thoughts = reply.usage?.thoughtsTokenCount ?? (reply.thought !== undefined ? estimateTokens(reply.thought) : undefined);
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + candidates + (thoughts ?? 0),
    ...(thoughts !== undefined ? { thoughtsTokenCount: thoughts } : {}),
    ...(reply.usage?.cachedContentTokenCount !== undefined ? { cachedContentTokenCount: reply.usage.cachedContentTokenCount } : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  };
}

function blocked(request: RecordedRequest, reason: string) {
  const prompt = estimateTokens(request.body.contents);
  return {
    promptFeedback: { blockReason: reason, safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }] },
    usageMetadata: { promptTokenCount: prompt, totalTokenCount: prompt },
    modelVersion: 'gemini-fake',
    responseId: randomId(22),
  };
}

function wholeResponse(request: RecordedRequest, reply: Exclude<FakeGoogleReply, ErrorReply | { hang: true }>, modelVersion: string) {
  if ('blockReason' in reply) return blocked(request, reply.blockReason);
  return {
    candidates: [{ content: { parts: answerParts(reply), role: 'model' }, finishReason: reply.finishReason ?? 'STOP', index: 0 }],
    usageMetadata: usageMetadata(request, reply),
    modelVersion,
    responseId: randomId(22),
  };
}

/** One GenerateContentResponse per event: thought and text in word pieces, function calls whole, finish and full usage last. */
function streamResponses(request: RecordedRequest, reply: Exclude<FakeGoogleReply, ErrorReply | { hang: true }>, modelVersion: string) {
  if ('blockReason' in reply) return [blocked(request, reply.blockReason)];
  const responseId = randomId(22);
  const usage = usageMetadata(request, reply);
  const parts: Array<Record<string, unknown>> = [
    ...pieces(reply.thought ?? '').map((text) => ({ text, thought: true })),
    ...pieces(reply.text ?? '').map((text) => ({ text })),
  ];
  const calls = answerParts({ functionCalls: reply.functionCalls });
  const events: Array<Record<string, unknown>> = parts.map((part) => ({
    candidates: [{ content: { parts: [part], role: 'model' }, index: 0 }],
    usageMetadata: { promptTokenCount: usage.promptTokenCount, totalTokenCount: usage.promptTokenCount },
    modelVersion,
    responseId,
  }));
  const lastParts = calls.length > 0 ? calls : [{ text: '' }];
  events.push({ candidates: [{ content: { parts: lastParts, role: 'model' }, finishReason: reply.finishReason ?? 'STOP', index: 0 }], usageMetadata: usage, modelVersion, responseId });
  return events;
}

function sendEmbeddings(res: ServerResponse, body: { requests: Array<{ content: { parts: Array<{ text: string }> }; outputDimensionality?: number }> }): void {
  const embeddings = body.requests.map((r) => {
    const text = r.content.parts.map((p) => p.text).join('');
    const size = r.outputDimensionality ?? 8;
    // Deterministic per text, so tests can tell inputs apart.
    return { values: Array.from({ length: size }, (_, d) => Math.sin(text.length * 31 + d * 7 + (text.charCodeAt(d % Math.max(1, text.length)) || 0))) };
  });
  sendJson(res, 200, { embeddings });
}

function sendError(res: ServerResponse, error: ErrorReply): void {
  const status = error.statusName ?? STATUS_NAMES[error.status] ?? (error.status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
  const message =
    error.message ??
    (error.status === 429
      ? 'You exceeded your current quota, please check your plan and billing details.'
      : error.status === 503
        ? 'The model is overloaded. Please try again later.'
        : 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
  const details = error.status === 429 ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${error.retryDelaySeconds ?? 7}s` }] : undefined;
  sendJson(res, error.status, { error: { code: error.status, message, status, ...(details ? { details } : {}) } });
}
