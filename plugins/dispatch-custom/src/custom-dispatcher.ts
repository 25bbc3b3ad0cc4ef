/**
 * @module custom-dispatcher
 * The `custom` provider kind: any server that speaks OpenAI's Chat Completions (vLLM,
 * llama.cpp, LocalAI, LM Studio, an internal proxy...). Such servers agree on the wire format
 * and differ in the edges, so those are provider options: which header carries the key and
 * with which scheme (or none), extra headers, and the paths of the two endpoints. Everything
 * else is dispatch-openai's dispatcher.
 */
import type { DispatchCall, Dispatcher } from '@scaigrid/plugin-dispatch';
import { createOpenAICompatibleDispatcher, extraHeaders, joinUrl, providerOption, type OpenAIApiPath } from '@scaigrid/plugin-dispatch-openai';

/**
 * Provider options read by the `custom` kind (all optional):
 * - `authHeader`: header that carries the key; default `Authorization`.
 * - `authScheme`: text before the key, e.g. `Bearer` (default), `Token`; `''` sends the bare key.
 * - `headers`: extra headers sent on every request.
 * - `chatPath` / `embeddingsPath`: relative to `baseUrl`; defaults `/chat/completions`, `/embeddings`.
 * - `maxTokensField`: `max_tokens` (default here: most such servers know only it) or `max_completion_tokens`.
 */
export interface CustomProviderOptions {
  authHeader?: string;
  authScheme?: string;
  headers?: Record<string, string>;
  chatPath?: string;
  embeddingsPath?: string;
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
}

function stringOption(call: DispatchCall, name: keyof CustomProviderOptions): string | undefined {
  const value = providerOption(call, name);
  return typeof value === 'string' ? value : undefined;
}

/** `baseUrl` + the configured path for the endpoint (a path override must start with `/`). */
export function customUrl(call: DispatchCall, path: OpenAIApiPath): string {
  const override = stringOption(call, path === '/chat/completions' ? 'chatPath' : 'embeddingsPath');
  return joinUrl(call.target.provider.baseUrl, override ?? path);
}

/**
 * Extra headers, the request id, and the key — when the provider has one — in the configured
 * header and scheme: `Authorization: Bearer k` by default, `X-API-Key: k` with
 * `{ authHeader: X-API-Key, authScheme: '' }`, `Authorization: Token k` with `{ authScheme: Token }`.
 */
export function customHeaders(call: DispatchCall): Record<string, string> {
  const headers: Record<string, string> = { ...extraHeaders(call), 'x-client-request-id': call.requestId };
  const key = call.target.provider.apiKey;
  if (!key) return headers;
  const name = (stringOption(call, 'authHeader') ?? 'Authorization').toLowerCase();
  const scheme = stringOption(call, 'authScheme') ?? 'Bearer';
  headers[name] = scheme === '' ? key : `${scheme} ${key}`;
  return headers;
}

export function createCustomDispatcher(): Dispatcher {
  return createOpenAICompatibleDispatcher({ kind: 'custom', maxTokensField: 'max_tokens', buildUrl: customUrl, buildHeaders: customHeaders });
}
