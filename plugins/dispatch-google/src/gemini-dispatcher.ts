/**
 * @module gemini-dispatcher
 * The `google` dispatcher: the Gemini API's `POST {baseUrl}/{version}/models/{model}:generateContent`,
 * `:streamGenerateContent?alt=sse` and `:batchEmbedContents`, with the key in the
 * `x-goog-api-key` header (never in the `?key=` query, which ends up in access logs). HTTP
 * handling, error mapping (`{error:{code,message,status}}` → status, message; 429 and 5xx
 * retryable, 400 not) and SSE parsing are the shared ones from `@scaigrid/plugin-dispatch`.
 */
import { UpstreamError, type ChatRequest, type DispatchCall, type Dispatcher, type EmbeddingRequest } from '@scaigrid/plugin-dispatch';
import {
  extraHeaders,
  postJson,
  providerOption,
  readJson,
  sseEvents,
  type UpstreamRequest,
  type UpstreamResponse,
} from '@scaigrid/plugin-dispatch';
import type { GeminiBatchEmbedBody, GeminiBatchEmbedResponse, GeminiGenerateContentResponse } from './gemini-wire.js';
import { toGeminiBody, type GeminiBodyOptions } from './gemini-request.js';
import { fromGeminiResponse } from './gemini-response.js';
import { geminiStreamChunks } from './gemini-stream.js';

export interface GeminiDispatcherOptions {
  /** Base URL when the provider has none. */
  baseUrl: string;
  /** Version path segment unless the provider option `apiVersion` says otherwise. */
  apiVersion: string;
  /** Served kind; default `google`. */
  kind?: string;
}

type GeminiMethod = 'generateContent' | 'streamGenerateContent' | 'batchEmbedContents';

/**
 * @example registry.register(createGeminiDispatcher({ baseUrl: 'https://generativelanguage.googleapis.com', apiVersion: 'v1beta' }));
 */
export function createGeminiDispatcher(options: GeminiDispatcherOptions): Dispatcher {
  const kind = options.kind ?? 'google';
  const label = (call: DispatchCall) => `${kind} provider '${call.target.provider.id}'`;
  const url = (call: DispatchCall, method: GeminiMethod) => geminiUrl(call, method, options);

  const chatRequest = (request: ChatRequest, call: DispatchCall, method: GeminiMethod) => {
    const headers = geminiHeaders(call);
    if (method === 'streamGenerateContent') headers.accept = 'text/event-stream';
    return { url: url(call, method), headers, body: toGeminiBody(request, bodyOptions(call)), label: label(call) };
  };

  return Object.freeze({
    kind,
    async chat(request, call) {
      const upstream = chatRequest(request, call, 'generateContent');
      const response = await post(call, upstream);
      return fromGeminiResponse(await readJson<GeminiGenerateContentResponse>(response, call, upstream.label), request.model);
    },
    async chatStream(request, call) {
      const upstream = chatRequest(request, call, 'streamGenerateContent');
      const response = await post(call, upstream);
      return geminiStreamChunks(sseEvents(response.body, call, upstream.label), upstream.label);
    },
    async embeddings(request: EmbeddingRequest, call: DispatchCall) {
      const model = modelResource(request.model);
      const taskType = providerOption(call, 'embeddingTaskType');
      const body: GeminiBatchEmbedBody = {
        requests: request.input.map((text) => ({
          model,
          content: { parts: [{ text }] },
          ...(request.dimensions !== undefined ? { outputDimensionality: request.dimensions } : {}),
          ...(typeof taskType === 'string' ? { taskType } : {}),
        })),
      };
      const upstream = { url: url(call, 'batchEmbedContents'), headers: geminiHeaders(call), body, label: label(call) };
      const raw = await readJson<GeminiBatchEmbedResponse>(await post(call, upstream), call, upstream.label);
      const embeddings = (raw.embeddings ?? []).map((e) => e.values ?? []);
      if (embeddings.length !== request.input.length || embeddings.some((values) => values.length === 0)) {
        throw new UpstreamError('protocol', `${upstream.label} returned ${embeddings.length} embeddings for ${request.input.length} inputs`);
      }
      return { model: request.model, embeddings };
    },
  } satisfies Dispatcher);
}

/**
 * `postJson`, except that Gemini's answer to a bad key — 400 INVALID_ARGUMENT "API key not
 * valid" — is reported as the 401 it is, so the gateway blames its own credentials instead of
 * telling the client its request was invalid.
 */
async function post(call: DispatchCall, upstream: UpstreamRequest): Promise<UpstreamResponse> {
  try {
    return await postJson(call, upstream);
  } catch (err) {
    if (err instanceof UpstreamError && err.status === 400 && /API key not valid|API_KEY_INVALID/i.test(err.upstreamMessage ?? '')) {
      throw new UpstreamError('http', err.message, 401, false, err.upstreamMessage);
    }
    throw err;
  }
}

/** `x-goog-api-key` and extra `headers` from provider options. */
export function geminiHeaders(call: DispatchCall): Record<string, string> {
  const headers = extraHeaders(call);
  const { apiKey } = call.target.provider;
  if (apiKey) headers['x-goog-api-key'] = apiKey;
  return headers;
}

/**
 * `{base}/{version}/models/{model}:{method}`; a base URL that already ends in a version
 * (`…/v1beta`) is used as is. Streams ask for SSE with `alt=sse`.
 */
export function geminiUrl(call: DispatchCall, method: GeminiMethod, defaults: { baseUrl: string; apiVersion: string }): string {
  const base = (call.target.provider.baseUrl || defaults.baseUrl).replace(/\/+$/, '');
  const version = providerOption(call, 'apiVersion');
  const versioned = /\/v[0-9]+(alpha|beta)?[0-9]*$/.test(base) ? base : `${base}/${typeof version === 'string' && version !== '' ? version : defaults.apiVersion}`;
  const query = method === 'streamGenerateContent' ? '?alt=sse' : '';
  return `${versioned}/${modelResource(call.target.model)}:${method}${query}`;
}

/** `gemini-2.5-flash` → `models/gemini-2.5-flash`; `models/…` and `tunedModels/…` stay. */
export function modelResource(model: string): string {
  return model.includes('/') ? model : `models/${model}`;
}

function bodyOptions(call: DispatchCall): GeminiBodyOptions {
  const safetySettings = providerOption(call, 'safetySettings');
  return { rawJsonSchema: providerOption(call, 'rawJsonSchema') === true, safetySettings: Array.isArray(safetySettings) ? safetySettings : undefined };
}
