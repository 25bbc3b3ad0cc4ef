/**
 * @module stores/http-client
 * Outbound HTTP for modules (provider APIs, webhooks): undici's fetch over one pooled keep-alive
 * Agent, so calls to the same upstream reuse sockets, with a per-call timeout that fails with
 * a `TimeoutError` the caller can tell apart from its own abort.
 */
import { Agent, fetch as undiciFetch } from 'undici';
import type { HttpClient, HttpRequestInit } from './types.js';

export interface HttpClientOptions {
  /** Default per-call timeout in milliseconds (whole call, body included); 0 disables it. Default 120 000. */
  timeoutMs?: number;
  /** Max sockets per origin. Default 128. */
  connections?: number;
}

/**
 * Creates a client; `close()` ends its sockets.
 * @example const http = createHttpClient({ timeoutMs: 5000 }); const res = await http.fetch('https://example.com');
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient & { close(): Promise<void> } {
  const defaultTimeout = options.timeoutMs ?? 120_000;
  const dispatcher = new Agent({
    connections: options.connections ?? 128,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
  });

  return Object.freeze({
    dispatcher,
    async fetch(url: string | URL, init: HttpRequestInit = {}): Promise<Response> {
      const { timeoutMs = defaultTimeout, ...rest } = init;
      const signals: AbortSignal[] = [];
      if (rest.signal) signals.push(rest.signal);
      // AbortSignal.timeout aborts with a DOMException named 'TimeoutError'; fetch rejects with that reason.
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) signals.push(AbortSignal.timeout(timeoutMs));
      const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
      // undici's own RequestInit/Response types differ nominally from the DOM ones the contract uses.
      const response = await undiciFetch(url, { ...(rest as object), signal, dispatcher } as Parameters<typeof undiciFetch>[1]);
      return response as unknown as Response;
    },
    async close() {
      await dispatcher.close();
    },
  });
}
