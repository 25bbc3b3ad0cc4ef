/**
 * @module azure-dispatcher
 * The `azure` provider kind: Azure OpenAI's data plane is OpenAI's Chat Completions and
 * Embeddings wire format at another address — the deployment in the path and a mandatory
 * `api-version` query parameter — with other authentication (`api-key` header, or a
 * Microsoft Entra ID bearer token) and content-filter annotations. So it is dispatch-openai's
 * dispatcher with three hooks: the URL, the headers, and reading the filter results.
 */
import type { ChatChunk, ChatResponse, DispatchCall, Dispatcher } from '@scaigrid/plugin-dispatch';
import {
  createOpenAICompatibleDispatcher,
  joinUrl,
  openAIHeaders,
  providerOption,
  type OpenAIApiPath,
} from '@scaigrid/plugin-dispatch-openai';

/** How the key from `apiKeyEnv` is sent: Azure's `api-key` header, or as an Entra ID bearer token. */
export type AzureAuthMode = 'api-key' | 'entra';

interface FilterResult {
  filtered?: boolean;
}

/** The annotation fields Azure adds to completions and chunks ("Content filtering — Response annotations"). */
export interface AzureFilterAnnotations {
  prompt_filter_results?: Array<{ content_filter_results?: Record<string, FilterResult | unknown> }> | null;
  choices?: Array<{ content_filter_results?: Record<string, FilterResult | unknown> | null }> | null;
}

function stringOption(call: DispatchCall, name: string): string | undefined {
  const value = providerOption(call, name);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * `{baseUrl}/openai/deployments/{deployment}{path}?api-version={version}`; the deployment is
 * the backend option `deployment`, else the backend's upstream model (deployments are often
 * named after their model).
 * @example azureUrl(call, '/chat/completions', '2024-10-21')
 * // → https://my-res.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21
 */
export function azureUrl(call: DispatchCall, path: OpenAIApiPath, defaultApiVersion: string): string {
  const deployment = stringOption(call, 'deployment') ?? call.target.model;
  const version = stringOption(call, 'apiVersion') ?? defaultApiVersion;
  return `${joinUrl(call.target.provider.baseUrl, `/openai/deployments/${encodeURIComponent(deployment)}`)}${path}?api-version=${encodeURIComponent(version)}`;
}

/** OpenAI's headers without its Bearer key; the key goes as `api-key`, or as `Authorization: Bearer` with option `auth: entra`. */
export function azureHeaders(call: DispatchCall): Record<string, string> {
  const { authorization: _openAIBearer, ...headers } = openAIHeaders(call);
  const key = call.target.provider.apiKey;
  if (!key) return headers;
  const mode = (stringOption(call, 'auth') ?? 'api-key') as AzureAuthMode;
  return mode === 'entra' ? { ...headers, authorization: `Bearer ${key}` } : { ...headers, 'api-key': key };
}

const isFiltered = (results: Record<string, unknown> | null | undefined): boolean =>
  Object.values(results ?? {}).some((r) => typeof r === 'object' && r !== null && (r as FilterResult).filtered === true);

/** Whether Azure's filter held anything back: a filtered prompt or choice annotation. */
export function azureFiltered(raw: AzureFilterAnnotations): boolean {
  return (raw.prompt_filter_results ?? []).some((p) => isFiltered(p.content_filter_results as Record<string, unknown>)) || isFiltered(raw.choices?.[0]?.content_filter_results as Record<string, unknown>);
}

/** A response whose content the filter cut finishes with `content_filter`, whatever `finish_reason` said. */
export function withAzureFilterFinish(response: ChatResponse, raw: AzureFilterAnnotations): ChatResponse {
  return azureFiltered(raw) ? { ...response, finishReason: 'content_filter' } : response;
}

/** The same for a stream event: its finish chunk becomes `content_filter` (one is added if the event has none). */
export function withAzureFilterChunks(chunks: ChatChunk[], raw: AzureFilterAnnotations): ChatChunk[] {
  if (!azureFiltered(raw)) return chunks;
  const out = chunks.map((c): ChatChunk => (c.type === 'finish' ? { type: 'finish', finishReason: 'content_filter' } : c));
  return out.some((c) => c.type === 'finish') ? out : [...out, { type: 'finish', finishReason: 'content_filter' }];
}

export function createAzureDispatcher(defaults: { apiVersion: string }): Dispatcher {
  return createOpenAICompatibleDispatcher({
    kind: 'azure',
    buildUrl: (call, path) => azureUrl(call, path, defaults.apiVersion),
    buildHeaders: azureHeaders,
    mapResponse: (response, raw) => withAzureFilterFinish(response, raw as AzureFilterAnnotations),
    mapChunk: (chunks, raw) => withAzureFilterChunks(chunks, raw as AzureFilterAnnotations),
  });
}
