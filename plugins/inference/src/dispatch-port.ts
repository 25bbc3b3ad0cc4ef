/**
 * @module dispatch-port
 * What the pipeline needs from the dispatch plugin: send a request to a route's backends
 * (breaker and failover are dispatch's business) and say which backend served.
 */
import type { Backend, ModelRoute } from '@scaigrid/plugin-routing';
import type { ChatChunk, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse } from './chat-model.js';

export interface DispatchOptions {
  signal: AbortSignal;
  requestId: string;
}

export interface DispatchPort {
  chat(route: ModelRoute, request: ChatRequest, options: DispatchOptions): Promise<{ response: ChatResponse; backend: Backend }>;
  chatStream(route: ModelRoute, request: ChatRequest, options: DispatchOptions): Promise<{ chunks: AsyncIterable<ChatChunk>; backend: Backend }>;
  embeddings(route: ModelRoute, request: EmbeddingRequest, options: DispatchOptions): Promise<{ response: EmbeddingResponse; backend: Backend }>;
}
