/**
 * @module dispatch-call
 * Builds the DispatchCall the dispatch plugin would pass to a dispatcher, for provider
 * packages' tests (dispatch-openai, dispatch-anthropic, and the OpenAI-compatible ones to
 * come). The caller brings the undici Agent (this folder has no undici of its own), so the
 * dispatcher runs over a real keep-alive pool as in production.
 *
 * @example
 * const agent = new Agent();
 * const call = testCall(agent, { baseUrl: fake.url, apiKey: 'sk-test' });
 * const chunks = await collect(await dispatcher.chatStream(request, call));
 */
import { chunksOf, UpstreamError, type ChatChunk, type ChatStreamItem, type DispatchCall } from '@scaigrid/plugin-dispatch';
import { expect } from 'vitest';

export interface TestCallOptions {
  baseUrl: string;
  apiKey?: string;
  kind?: string;
  providerId?: string;
  model?: string;
  providerOptions?: Record<string, unknown>;
  backendOptions?: Record<string, unknown>;
  timeoutMs?: number;
  signal?: AbortSignal;
  requestId?: string;
}

export function testCall(dispatcher: DispatchCall['http']['dispatcher'], options: TestCallOptions): DispatchCall {
  return {
    target: {
      provider: {
        id: options.providerId ?? 'p1',
        kind: options.kind ?? 'openai',
        baseUrl: options.baseUrl,
        apiKey: options.apiKey,
        options: options.providerOptions ?? {},
        timeoutMs: options.timeoutMs ?? 10_000,
      },
      model: options.model ?? 'gpt-test',
      options: options.backendOptions ?? {},
    },
    signal: options.signal ?? new AbortController().signal,
    // Dispatchers use `dispatcher` with undici.request; fetch is the platform's, for completeness.
    http: { dispatcher, fetch: (url, init) => fetch(url, init) },
    requestId: options.requestId ?? 'req-test-1',
  };
}

/** Drains an async iterable into an array, rethrowing whatever the iterator throws. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Drains a chat stream into its chunks, whether it yields them one by one or in batches. */
export async function collectChunks(stream: AsyncIterable<ChatStreamItem>): Promise<ChatChunk[]> {
  const out: ChatChunk[] = [];
  for await (const item of stream) out.push(...chunksOf(item));
  return out;
}

/** The UpstreamError a dispatcher call rejects with (fails the test if it resolves or throws anything else). */
export async function upstreamError(promise: Promise<unknown>): Promise<UpstreamError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamError);
  return err as UpstreamError;
}
