/**
 * @module dispatch-service
 * The dispatch plugin's services. `dispatch.service` sends a normalized request to a
 * route's backends in order — circuit breaker, per-provider timeout, failover before the
 * first byte — and says which backend served (for accounting). `dispatch.registry` is where
 * provider packages register their `Dispatcher` by kind.
 */
import { serviceRef, type AbortSignalLike } from '@scaigrid/kernel';
import type { Backend, ModelRoute } from '@scaigrid/plugin-routing';
import type { ChatChunk, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse } from './chat-model.js';
import type { ChatStreamItem, Dispatcher, ProviderInstance } from './dispatcher.js';

export interface DispatchOptions {
  /**
   * The client's signal: aborting it stops the upstream call and never fails over. An
   * AbortSignal or the kernel's lighter `clientSignal(c)` / `PlainAbortSignal`.
   */
  signal: AbortSignalLike;
  requestId: string;
  /**
   * Streams: called once, when the first backend accepts the request (its 2xx status is in, no
   * chunk yet). The walk goes on until a first chunk, failing over as before; a caller that
   * answers its client at this point (the response head) reports a later failure in the body.
   */
  onAccepted?: () => void;
}

/** Which backend answered, and how many were tried (1 = the first candidate served). */
export interface Served {
  backend: Backend;
  providerId: string;
  providerKind: string;
  attempts: number;
}

export interface DispatchService {
  /**
   * Tries the route's backends in order. Errors: UPSTREAM_UNAVAILABLE 503 when every breaker
   * is open, UPSTREAM_TIMEOUT 504, UPSTREAM_ERROR 502, VALIDATION_ERROR 400 when the upstream
   * rejected the request itself (400/422), PAYLOAD_TOO_LARGE 413.
   */
  chat(route: ModelRoute, request: ChatRequest, options: DispatchOptions): Promise<{ response: ChatResponse } & Served>;
  /**
   * Resolves once a backend accepted the request and produced its first chunk; until then it
   * fails over (`options.onAccepted` says when the first backend accepted). Errors later
   * surface from the iterator (as GatewayError) and never fail over.
   */
  chatStream(route: ModelRoute, request: ChatRequest, options: DispatchOptions): Promise<{ chunks: AsyncIterable<ChatStreamItem> } & Served>;
  embeddings(route: ModelRoute, request: EmbeddingRequest, options: DispatchOptions): Promise<{ response: EmbeddingResponse } & Served>;
}

export interface DispatcherRegistry {
  /** Registers the dispatcher for its `kind`; a second one for the same kind throws. Call in setup. */
  register(dispatcher: Dispatcher): void;
  get(kind: string): Dispatcher | undefined;
  /** Registered kinds, sorted. */
  kinds(): string[];
}

/** Read access to configured provider instances (credentials resolved; never expose them). */
export interface ProviderLookup {
  get(id: string): ProviderInstance | undefined;
}

export const dispatchServiceRef = serviceRef<DispatchService>('dispatch.service');
export const dispatcherRegistryRef = serviceRef<DispatcherRegistry>('dispatch.registry');
