/**
 * @module failover-dispatch
 * `dispatch.service`: walks a route's candidates in order. A backend whose breaker is open is
 * skipped without a call; each attempt runs under the provider's timeout combined with the
 * client's signal; a retryable failure (connect, 429, 5xx, timeout) counts against the
 * breaker and moves on to the next candidate — only while nothing has reached the client.
 * For streams that means until the first chunk: it is pulled inside the attempt, so an
 * upstream that accepts and then fails at once still fails over. The caller hears when the
 * first backend accepted (`onAccepted`), so it can send its response head that early.
 */
import { GatewayError, isGatewayError, type HttpClient, type ModuleContext } from '@scaigrid/kernel';
import type { Backend, ModelRoute } from '@scaigrid/plugin-routing';
import { AttemptSignal } from './attempt-signal.js';
import type { ChatChunk, ChatRequest, EmbeddingRequest } from './chat-model.js';
import type { BreakerBoard, CircuitBreaker } from './circuit-breaker.js';
import { UpstreamError, type ChatStreamItem, type DispatchCall, type Dispatcher, type ProviderInstance } from './dispatcher.js';
import type { DispatcherRegistry, DispatchOptions, DispatchService, ProviderLookup, Served } from './dispatch-service.js';
import { classifyFailure, isUpstreamError, toGatewayError } from './upstream-errors.js';

export interface FailoverDeps {
  providers: ProviderLookup;
  registry: DispatcherRegistry;
  breakers: BreakerBoard;
  http: HttpClient;
  log: ModuleContext['log'];
}

interface Attempt {
  backend: Backend;
  provider: ProviderInstance;
  dispatcher: Dispatcher;
  breaker: CircuitBreaker;
  signal: AttemptSignal;
  call: DispatchCall;
}

type Operation = 'chat' | 'embeddings';

export class FailoverDispatch implements DispatchService {
  constructor(private readonly deps: FailoverDeps) {}

  async chat(route: ModelRoute, request: ChatRequest, options: DispatchOptions) {
    const { value, served, attempt } = await this.walk(route, options, 'chat', (a) =>
      a.dispatcher.chat({ ...request, model: a.backend.upstreamModel }, a.call),
    );
    attempt.signal.dispose();
    return { response: value, ...served };
  }

  async embeddings(route: ModelRoute, request: EmbeddingRequest, options: DispatchOptions) {
    const { value, served, attempt } = await this.walk(route, options, 'embeddings', (a) =>
      a.dispatcher.embeddings!({ ...request, model: a.backend.upstreamModel }, a.call),
    );
    attempt.signal.dispose();
    return { response: value, ...served };
  }

  async chatStream(route: ModelRoute, request: ChatRequest, options: DispatchOptions) {
    let onAccepted = options.onAccepted;
    const { value, served, attempt } = await this.walk(route, options, 'chat', async (a) => {
      const iterable = await a.signal.race(a.dispatcher.chatStream({ ...request, model: a.backend.upstreamModel }, a.call));
      onAccepted?.();
      onAccepted = undefined;
      const iterator = iterable[Symbol.asyncIterator]();
      try {
        return { iterator, first: await a.signal.race(iterator.next()) };
      } catch (err) {
        void iterator.return?.()?.catch(() => undefined);
        throw err;
      }
    });
    return { chunks: this.relay(route.slug, attempt, value.iterator, value.first), ...served };
  }

  /** Forwards the rest of an accepted stream; failures from here on never fail over. */
  private async *relay(slug: string, attempt: Attempt, iterator: AsyncIterator<ChatStreamItem>, first: IteratorResult<ChatStreamItem>): AsyncGenerator<ChatStreamItem> {
    let finished = false;
    try {
      let next = first;
      while (!next.done) {
        attempt.signal.disarm();
        yield next.value;
        attempt.signal.arm();
        next = await attempt.signal.race(iterator.next());
      }
      finished = true;
    } catch (err) {
      if (attempt.signal.clientAborted) throw err;
      const failure = this.failure(err, attempt);
      if (isUpstreamError(failure) && failure.retryable) attempt.breaker.onFailure();
      this.deps.log.warn({ backend: attempt.backend.id, provider: attempt.provider.id, err: failure.message }, 'Upstream stream failed after the first chunk');
      throw toGatewayError(failure, slug, attempt.provider.apiKey);
    } finally {
      attempt.signal.dispose();
      if (!finished) {
        attempt.signal.abort(new Error('Stream closed before the upstream finished'));
        void iterator.return?.()?.catch(() => undefined);
      }
    }
  }

  private failure(err: unknown, attempt: Attempt): UpstreamError | GatewayError {
    if (attempt.signal.timedOut) return new UpstreamError('timeout', `no answer within ${attempt.provider.timeoutMs} ms`);
    return classifyFailure(err);
  }

  private usable(backend: Backend, operation: Operation): { provider: ProviderInstance; dispatcher: Dispatcher } | string {
    const provider = this.deps.providers.get(backend.providerId);
    if (!provider) return `backend '${backend.id}' names provider '${backend.providerId}', which is not configured`;
    const dispatcher = this.deps.registry.get(provider.kind);
    if (!dispatcher) return `provider '${provider.id}' has kind '${provider.kind}', for which no dispatcher is loaded`;
    if (operation === 'embeddings' && !dispatcher.embeddings) return `provider kind '${provider.kind}' does not support embeddings`;
    return { provider, dispatcher };
  }

  private async walk<T>(route: ModelRoute, options: DispatchOptions, operation: Operation, run: (attempt: Attempt) => Promise<T>) {
    let lastFailure: GatewayError | undefined;
    const unusable: string[] = [];
    let open = 0;
    let retryAfterMs = Number.POSITIVE_INFINITY;
    let attempts = 0;
    for (const backend of route.backends) {
      const found = this.usable(backend, operation);
      if (typeof found === 'string') {
        unusable.push(found);
        continue;
      }
      const breaker = this.deps.breakers.for(backend.id);
      if (!breaker.tryAcquire()) {
        open++;
        retryAfterMs = Math.min(retryAfterMs, breaker.retryAfterMs());
        continue;
      }
      attempts++;
      const signal = new AttemptSignal(options.signal, found.provider.timeoutMs);
      const attempt: Attempt = {
        backend,
        provider: found.provider,
        dispatcher: found.dispatcher,
        breaker,
        signal,
        call: signal.call({ target: { provider: found.provider, model: backend.upstreamModel, options: backend.options }, http: this.deps.http, requestId: options.requestId }),
      };
      try {
        const value = await signal.race(run(attempt));
        breaker.onSuccess();
        const served: Served = { backend, providerId: found.provider.id, providerKind: found.provider.kind, attempts };
        return { value, served, attempt };
      } catch (err) {
        signal.dispose();
        if (signal.clientAborted) {
          breaker.onNeutral();
          throw err;
        }
        const failure = this.failure(err, attempt);
        const retryable = isUpstreamError(failure) && failure.retryable;
        this.deps.log.warn(
          { requestId: options.requestId, model: route.slug, backend: backend.id, provider: found.provider.id, retryable, err: failure.message },
          retryable ? 'Upstream attempt failed; trying the next backend' : 'Upstream attempt failed',
        );
        if (!retryable) {
          // An HTTP 4xx means the backend is up and the request was the problem: no reason to
          // open its breaker. A protocol error (garbage answer) does count against it.
          if (isGatewayError(failure)) breaker.onNeutral();
          else if (failure.kind === 'http') breaker.onSuccess();
          else breaker.onFailure();
          throw toGatewayError(failure, route.slug, found.provider.apiKey);
        }
        breaker.onFailure();
        // Normalized now, while the provider (and its key, to scrub) is known.
        lastFailure = toGatewayError(failure, route.slug, found.provider.apiKey);
      }
    }
    if (lastFailure) throw lastFailure;
    if (open > 0) {
      throw new GatewayError('UPSTREAM_UNAVAILABLE', `Model '${route.slug}': every backend is failing and paused (circuit open); retry later.`, {
        headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
      });
    }
    throw new GatewayError('UPSTREAM_UNAVAILABLE', `Model '${route.slug}' has no usable backend: ${unusable.join('; ') || 'it has no backends'}.`);
  }
}
