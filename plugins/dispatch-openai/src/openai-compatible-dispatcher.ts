/**
 * @module openai-compatible-dispatcher
 * One dispatcher implementation for every provider that speaks OpenAI's Chat Completions
 * wire format (OpenAI itself, Azure OpenAI, Mistral, Qwen/DashScope, ScaiInfer, vLLM and
 * other custom servers). A provider package differs only in a few hooks — where to send the
 * request, which headers authenticate it, and small body or response tweaks — so it calls
 * `createOpenAICompatibleDispatcher` with those hooks instead of copying the translation,
 * the HTTP handling or the stream parsing. See the package README for the extension surface.
 */
import type { ChatChunk, ChatRequest, ChatResponse, DispatchCall, Dispatcher, EmbeddingRequest, EmbeddingResponse } from '@scaigrid/plugin-dispatch';
import { extraHeaders, joinUrl, postJson, providerOption, readJson, sseEventBatches } from '@scaigrid/plugin-dispatch';
import type { OpenAIChatBody, OpenAIChatCompletion, OpenAIChatCompletionChunk, OpenAIEmbeddingsBody, OpenAIEmbeddingsResponse } from './openai-wire.js';
import { toOpenAIChatBody, toOpenAIEmbeddingsBody, type MaxTokensField } from './openai-request.js';
import { fromOpenAIChatResponse, fromOpenAIEmbeddingsResponse } from './openai-response.js';
import { openAIStreamChunkBatches } from './openai-stream.js';

/** The API paths the dispatcher calls, relative to the provider's base URL. */
export type OpenAIApiPath = '/chat/completions' | '/embeddings';

export interface OpenAICompatibleDispatcherOptions {
  /** Provider kind served, e.g. `openai`, `azure`, `mistral`. */
  kind: string;
  /** Full URL of an API path. Default: the provider's `baseUrl` (trailing `/` removed) + path. */
  buildUrl?(call: DispatchCall, path: OpenAIApiPath): string;
  /** Request headers (auth included). Default: `openAIHeaders(call)` (Bearer key). */
  buildHeaders?(call: DispatchCall): Record<string, string>;
  /** Output-token field when neither backend nor provider option `maxTokensField` says. Default `max_completion_tokens`. */
  maxTokensField?: MaxTokensField;
  /** Last word on the chat body (rename or drop fields the provider does not accept). */
  mapRequestBody?(body: OpenAIChatBody, request: ChatRequest, call: DispatchCall): OpenAIChatBody;
  /** Adjusts the normalized response using the raw completion. */
  mapResponse?(response: ChatResponse, raw: OpenAIChatCompletion, call: DispatchCall): ChatResponse;
  /** Adjusts the normalized chunks of one raw stream event. */
  mapChunk?(chunks: ChatChunk[], raw: OpenAIChatCompletionChunk, call: DispatchCall): ChatChunk[];
  /** Last word on the embeddings body. */
  mapEmbeddingsBody?(body: OpenAIEmbeddingsBody, request: EmbeddingRequest, call: DispatchCall): OpenAIEmbeddingsBody;
  /** False for providers without an embeddings endpoint (the dispatcher then has no `embeddings`). Default true. */
  embeddings?: boolean;
}

/**
 * @example
 * const mistral = createOpenAICompatibleDispatcher({
 *   kind: 'mistral',
 *   maxTokensField: 'max_tokens',
 *   mapRequestBody: ({ seed, ...body }) => (seed === undefined ? body : { ...body, random_seed: seed }),
 * });
 */
export function createOpenAICompatibleDispatcher(options: OpenAICompatibleDispatcherOptions): Dispatcher {
  const buildUrl = options.buildUrl ?? ((call: DispatchCall, path: OpenAIApiPath) => joinUrl(call.target.provider.baseUrl, path));
  const buildHeaders = options.buildHeaders ?? openAIHeaders;
  const label = (call: DispatchCall) => `${options.kind} provider '${call.target.provider.id}'`;

  const chatBody = (request: ChatRequest, call: DispatchCall, stream: boolean): OpenAIChatBody => {
    const maxTokensField = (providerOption(call, 'maxTokensField') as MaxTokensField | undefined) ?? options.maxTokensField;
    const body = toOpenAIChatBody(request, { stream, maxTokensField });
    return options.mapRequestBody ? options.mapRequestBody(body, request, call) : body;
  };

  const dispatcher: Dispatcher = {
    kind: options.kind,

    async chat(request, call) {
      const upstream = { url: buildUrl(call, '/chat/completions'), headers: buildHeaders(call), body: chatBody(request, call, false), label: label(call) };
      const response = await postJson(call, upstream);
      const raw = await readJson<OpenAIChatCompletion>(response, call, upstream.label);
      const normalized = fromOpenAIChatResponse(raw);
      return options.mapResponse ? options.mapResponse(normalized, raw, call) : normalized;
    },

    async chatStream(request, call) {
      const upstream = {
        url: buildUrl(call, '/chat/completions'),
        headers: { accept: 'text/event-stream', ...buildHeaders(call) },
        body: chatBody(request, call, true),
        label: label(call),
      };
      const response = await postJson(call, upstream);
      const mapChunk = options.mapChunk;
      return openAIStreamChunkBatches(sseEventBatches(response.body, call, upstream.label), {
        label: upstream.label,
        mapChunk: mapChunk ? (chunks, raw) => mapChunk(chunks, raw, call) : undefined,
      });
    },
  };

  if (options.embeddings !== false) {
    dispatcher.embeddings = async (request: EmbeddingRequest, call: DispatchCall): Promise<EmbeddingResponse> => {
      const base = toOpenAIEmbeddingsBody(request);
      const body = options.mapEmbeddingsBody ? options.mapEmbeddingsBody(base, request, call) : base;
      const upstream = { url: buildUrl(call, '/embeddings'), headers: buildHeaders(call), body, label: label(call) };
      const response = await postJson(call, upstream);
      return fromOpenAIEmbeddingsResponse(await readJson<OpenAIEmbeddingsResponse>(response, call, upstream.label));
    };
  }
  return Object.freeze(dispatcher);
}

/**
 * OpenAI's headers: `Authorization: Bearer <key>`, `OpenAI-Organization`/`OpenAI-Project` from
 * provider options `organization`/`project`, extra `headers` from provider options, and the
 * gateway request id as `X-Client-Request-Id` so upstream logs can be matched to ours.
 */
export function openAIHeaders(call: DispatchCall): Record<string, string> {
  const headers: Record<string, string> = { ...extraHeaders(call), 'x-client-request-id': call.requestId };
  const { apiKey } = call.target.provider;
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const organization = providerOption(call, 'organization');
  if (typeof organization === 'string') headers['openai-organization'] = organization;
  const project = providerOption(call, 'project');
  if (typeof project === 'string') headers['openai-project'] = project;
  return headers;
}
