/**
 * @module anthropic-dispatcher
 * The `anthropic` dispatcher: Messages API (`POST {baseUrl}/v1/messages`) with `x-api-key`
 * and `anthropic-version`, whole and streamed. HTTP handling, error mapping and SSE parsing
 * are the shared ones from `@scaigrid/plugin-dispatch`, so every provider fails the
 * same way (status, upstream message, Retry-After, retryable on 429/5xx/529/connect/timeout).
 */
import type { ChatRequest, DispatchCall, Dispatcher } from '@scaigrid/plugin-dispatch';
import { extraHeaders, postJson, providerOption, readJson, sseEvents } from '@scaigrid/plugin-dispatch';
import type { AnthropicMessageResponse, AnthropicMessagesBody } from './anthropic-wire.js';
import { toAnthropicBody } from './anthropic-request.js';
import { fromAnthropicMessage } from './anthropic-response.js';
import { anthropicStreamChunks } from './anthropic-stream.js';

export interface AnthropicDispatcherOptions {
  /** max_tokens when neither the request nor the `maxTokens` provider/backend option sets it. */
  defaultMaxTokens: number;
  /** anthropic-version header unless the provider option `anthropicVersion` says otherwise. */
  anthropicVersion: string;
  /** Served kind; default `anthropic` (a proxy speaking the same API may register another). */
  kind?: string;
}

/**
 * @example registry.register(createAnthropicDispatcher({ defaultMaxTokens: 4096, anthropicVersion: '2023-06-01' }));
 */
export function createAnthropicDispatcher(options: AnthropicDispatcherOptions): Dispatcher {
  const kind = options.kind ?? 'anthropic';
  const label = (call: DispatchCall) => `${kind} provider '${call.target.provider.id}'`;

  const upstream = (request: ChatRequest, call: DispatchCall, stream: boolean) => {
    const maxTokens = providerOption(call, 'maxTokens');
    const body: AnthropicMessagesBody = toAnthropicBody(request, {
      stream,
      defaultMaxTokens: typeof maxTokens === 'number' && maxTokens > 0 ? maxTokens : options.defaultMaxTokens,
    });
    const headers = anthropicHeaders(call, options.anthropicVersion);
    if (stream) headers.accept = 'text/event-stream';
    return { url: messagesUrl(call.target.provider.baseUrl), headers, body, label: label(call) };
  };

  return Object.freeze({
    kind,
    async chat(request, call) {
      const req = upstream(request, call, false);
      const response = await postJson(call, req);
      return fromAnthropicMessage(await readJson<AnthropicMessageResponse>(response, call, req.label));
    },
    async chatStream(request, call) {
      const req = upstream(request, call, true);
      const response = await postJson(call, req);
      return anthropicStreamChunks(sseEvents(response.body, call, req.label), req.label);
    },
  } satisfies Dispatcher);
}

/**
 * `x-api-key`, `anthropic-version` (option `anthropicVersion`), `anthropic-beta` (option
 * `beta`: a string or a list), and extra `headers` from provider options.
 */
export function anthropicHeaders(call: DispatchCall, defaultVersion: string): Record<string, string> {
  const headers: Record<string, string> = { ...extraHeaders(call) };
  const version = providerOption(call, 'anthropicVersion');
  headers['anthropic-version'] = typeof version === 'string' && version !== '' ? version : defaultVersion;
  const beta = providerOption(call, 'beta');
  if (typeof beta === 'string' && beta !== '') headers['anthropic-beta'] = beta;
  else if (Array.isArray(beta) && beta.length > 0) headers['anthropic-beta'] = beta.join(',');
  const { apiKey } = call.target.provider;
  if (apiKey) headers['x-api-key'] = apiKey;
  return headers;
}

/** Accepts the documented base URL (`https://api.anthropic.com`) and one already ending in `/v1`. */
export function messagesUrl(baseUrl: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return base.endsWith('/v1') ? `${base}/messages` : `${base}/v1/messages`;
}
