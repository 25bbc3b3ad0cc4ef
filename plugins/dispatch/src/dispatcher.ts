/**
 * @module dispatcher
 * What a provider package implements and registers by kind with the dispatch plugin:
 * translate the normalized request to the provider's API, call it, translate back. The
 * dispatch plugin wraps every call with the circuit breaker, timeouts and failover.
 */
import type { HttpClient } from '@scaigrid/kernel';
import type { ChatChunk, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse } from './chat-model.js';

/** A configured provider instance (seeded or created through the admin API). */
export interface ProviderInstance {
  id: string;
  kind: string;
  baseUrl: string;
  /** Resolved secret (from the env var named in config); never returned by any API. */
  apiKey?: string;
  /** Non-secret provider options (api-version, headers, region...). */
  options: Record<string, unknown>;
  timeoutMs: number;
}

/** The backend chosen by routing for this attempt. */
export interface DispatchTarget {
  provider: ProviderInstance;
  /** Upstream model id. */
  model: string;
  /** Backend-level options (e.g. Azure deployment). */
  options: Record<string, unknown>;
}

export interface DispatchCall {
  target: DispatchTarget;
  /**
   * Aborted when the client disconnects or the timeout fires; dispatchers must pass it upstream.
   * Made on first read: a dispatcher that only listens for the abort (rather than handing a real
   * AbortSignal to fetch or an SDK) takes `abortSignalOf(call)` instead, which makes nothing. In
   * Node 20 an AbortController costs ~10 times a plain object, and its signal outlives young
   * collections (~460 bytes promoted each, in a probe).
   */
  signal: AbortSignal;
  http: HttpClient;
  requestId: string;
}

/**
 * What a stream yields: one chunk, or several in order. Yielding the chunks of one upstream read
 * together saves a step of every async generator between the upstream and the client per chunk
 * (a stream of 20 chunks took ~4 of them per chunk); consumers accept both.
 */
export type ChatStreamItem = ChatChunk | readonly ChatChunk[];

/** The chunks of one stream item, as an array. */
export function chunksOf(item: ChatStreamItem): readonly ChatChunk[] {
  return Array.isArray(item) ? item : [item as ChatChunk];
}

export interface Dispatcher {
  /** Provider kind this dispatcher serves: `openai`, `anthropic`, `mock`... */
  readonly kind: string;
  chat(request: ChatRequest, call: DispatchCall): Promise<ChatResponse>;
  /**
   * Streams normalized chunks. The promise resolves once the upstream accepted the request
   * (status checked), so errors before the first byte can still fail over. An item is one
   * chunk, or the chunks one upstream read carried (see ChatStreamItem).
   */
  chatStream(request: ChatRequest, call: DispatchCall): Promise<AsyncIterable<ChatStreamItem>>;
  embeddings?(request: EmbeddingRequest, call: DispatchCall): Promise<EmbeddingResponse>;
}

/**
 * Thrown by dispatchers for upstream failures. `retryable` marks what may fail over to the
 * next backend (connect error, 429, 5xx, timeout) — only before any byte reached the client.
 */
export class UpstreamError extends Error {
  constructor(
    readonly kind: 'http' | 'connect' | 'timeout' | 'protocol',
    message: string,
    readonly status?: number,
    readonly retryable: boolean = kind !== 'protocol' && (status === undefined || status === 429 || status >= 500),
    /** Upstream's own error message (safe to show: it never holds our credentials). */
    readonly upstreamMessage?: string,
    /** Seconds from the upstream's Retry-After, when it sent one. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}
