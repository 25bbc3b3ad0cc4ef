/**
 * @module inference-pipeline
 * The order of the request path (DESIGN.md §6), independent of the inbound API: resolve the
 * model, run `beforeDispatch` hooks (budgets, prompts), dispatch with failover, then settle
 * through `afterResponse` or `onError`. Streams settle when they end, fail or are cut short
 * by the client, with the usage counted so far. Adapters (OpenAI, native, others) call this
 * through the `inference.service` ref and only translate shapes.
 *
 * Settling a successful answer (`afterResponse`: a budget, a token count, Redis writes) is
 * registered before the answer's bytes go out, and the instance waits for it before stopping
 * (`waitUntil`). The answer never waits for it. Until 2026-11-30 a whole answer on a busy
 * instance (other settlements in flight) waited for its own, so that answers left together as
 * the settlements' replies came in; that put a Redis round trip, and whatever held up the
 * Redis server, on every answer's path. Answering at once (bench/compare.ts, 3 process pairs
 * of 3 × 3 s, whole answers): at 16 connections p99 3.18 → 2.56 ms with CPU per request
 * unchanged (pairs −4.8, +2.8, −2.5 %) and the Redis server's CPU per request −28 % (more
 * settles join one call); at 64 connections p99 37.3 → 11.2 ms.
 * A request that had the instance to itself starts its settlement after its answer is written
 * (the next check phase), so that CPU and its Redis write are not on the answer's path either;
 * with other requests about, the settlement starts at once and its Redis write joins the turn's.
 */
// Resolves in the check phase of this turn of the event loop, after its I/O and microtasks.
import { setImmediate as afterThisTurn } from 'node:timers/promises';
import { GatewayError, PlainAbortSignal, serviceRef, type AbortSignalLike } from '@scaigrid/kernel';
import type { Caller } from '@scaigrid/plugin-auth';
import type { ModelRoute, RoutingService } from '@scaigrid/plugin-routing';
import type { ModuleContext } from '@scaigrid/kernel';
import type { ChatChunk, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, Usage } from './chat-model.js';
import { chunksOf, type ChatStreamItem, type DispatchService, type Served } from '@scaigrid/plugin-dispatch';
import { CLIENT_CLOSED, toGatewayError } from './errors.js';
import type {
  ChatInferenceContext,
  EmbeddingInferenceContext,
  InboundApi,
  InferenceContext,
  InferenceHook,
  InferenceHookRegistry,
  InferenceResult,
} from './inference-hooks.js';
import { StreamAssembler } from './stream-assembler.js';
import { estimatePromptTokens, estimateTokens } from './usage-estimate.js';

export interface InferenceInput<R> {
  api: InboundApi;
  requestId: string;
  caller: Caller;
  /** `model` holds the frontend slug; dispatch swaps in each backend's upstream id. */
  request: R;
  /** The client's connection (`clientSignal(c)`, or any AbortSignal); aborting it aborts the upstream call. */
  signal: AbortSignalLike;
  /** Admission checks middlewares started for this request (deferred-checks); awaited with the `admit` hooks. */
  deferredChecks?: readonly Promise<void>[];
}

export interface ChatOutcome {
  ctx: ChatInferenceContext;
  response: ChatResponse;
}

export interface ChatStreamOutcome {
  ctx: ChatInferenceContext;
  /**
   * The answer in the batches it arrived in (the chunks one upstream read carried): one step per
   * batch instead of per chunk for whoever encodes it. Consume it to the end or `return()` it;
   * either way the request settles exactly once. Read `batches` or `chunks`, not both.
   */
  batches: AsyncIterable<readonly ChatChunk[]>;
  /** The same answer one chunk at a time. */
  chunks: AsyncIterable<ChatChunk>;
  /**
   * No other request started on this instance since this one, when it was accepted: the
   * instance has nothing else to do, so the response head may leave in a write of its own.
   */
  alone: boolean;
}

export interface EmbeddingOutcome {
  ctx: EmbeddingInferenceContext;
  response: EmbeddingResponse;
}

export interface InferenceService {
  chat(input: InferenceInput<ChatRequest>): Promise<ChatOutcome>;
  /**
   * Resolves once a backend accepted the request, before its first chunk, so an adapter can send
   * its response head then; rejects when none accepted. Failover goes on until a first chunk,
   * and a failure after acceptance is thrown from the batches (as a GatewayError).
   */
  chatStream(input: InferenceInput<ChatRequest>): Promise<ChatStreamOutcome>;
  embeddings(input: InferenceInput<EmbeddingRequest>): Promise<EmbeddingOutcome>;
}

export const inferenceServiceRef = serviceRef<InferenceService>('inference.service');

export interface InferencePipelineDeps {
  routing: RoutingService;
  dispatch: DispatchService;
  hooks: InferenceHookRegistry;
  log: ModuleContext['log'];
  /** Keeps the instance from stopping before work that outlives a response is done (the kernel's `ctx.waitUntil`). */
  waitUntil(work: Promise<unknown>): void;
}

export class InferencePipeline implements InferenceService {
  /** Chat and embedding requests started so far; a request that settles with this unchanged was alone. */
  private requestsStarted = 0;

  constructor(private readonly deps: InferencePipelineDeps) {}

  /** No request started on this instance since request `number`: it has the instance to itself. */
  private alone(number: number): boolean {
    return number === this.requestsStarted;
  }

  private resolve(slug: string, caller: Caller, kind: ModelRoute['kind']): ModelRoute {
    const route = this.deps.routing.resolve(slug, caller);
    if (route.kind !== kind) {
      const wanted = kind === 'chat' ? 'a chat' : 'an embedding';
      throw new GatewayError('VALIDATION_ERROR', `Model '${slug}' is not ${wanted} model; use it on the ${route.kind} endpoint.`, {
        details: { param: 'model' },
      });
    }
    return route;
  }

  private context<K extends 'chat' | 'embedding'>(kind: K, input: InferenceInput<unknown>, route: ModelRoute, stream: boolean) {
    return {
      kind,
      requestId: input.requestId,
      caller: input.caller,
      api: input.api,
      stream,
      route,
      startedAt: Date.now(),
      state: new Map<string, unknown>(),
      usageEstimated: false,
      aborted: false,
      request: input.request,
    };
  }

  async chat(input: InferenceInput<ChatRequest>): Promise<ChatOutcome> {
    const route = this.resolve(input.request.model, input.caller, 'chat');
    const ctx = this.context('chat', input, route, false) as ChatInferenceContext;
    const response = await this.whole(
      ctx,
      input,
      () => this.deps.dispatch.chat(route, ctx.request, { signal: input.signal, requestId: ctx.requestId }),
      (answer) => ({ promptTokens: estimatePromptTokens(ctx.request), completionTokens: estimateTokens(outputChars(answer)) }),
    );
    return { ctx, response };
  }

  async chatStream(input: InferenceInput<ChatRequest>): Promise<ChatStreamOutcome> {
    const route = this.resolve(input.request.model, input.caller, 'chat');
    const ctx = this.context('chat', input, route, true) as ChatInferenceContext;
    const hooks = this.deps.hooks.list();
    const number = ++this.requestsStarted;
    // Our own signal, so that a consumer stopping early also stops the upstream read.
    const upstream = new PlainAbortSignal();
    const onClientAbort = () => upstream.abort(input.signal.reason);
    if (input.signal.aborted) onClientAbort();
    else input.signal.addEventListener('abort', onClientAbort, { once: true });
    try {
      const admitting = this.beforeDispatch(hooks, ctx, input.deferredChecks);
      if (admitting) await admitting;
      let accept!: () => void;
      const accepted = new Promise<void>((resolve) => (accept = resolve));
      const serving = this.deps.dispatch.chatStream(route, ctx.request, { signal: upstream, requestId: ctx.requestId, onAccepted: accept });
      // Accepted: the outcome goes back now, so the response head leaves while the first chunk
      // is on its way; a failure from here on (no backend produced a chunk) ends the stream
      // with an error event. Until then a failure is the call's, with its HTTP status.
      await Promise.race([accepted, serving]);
      serving.catch(() => undefined);
      const batches = this.settleStream(hooks, ctx, number, serving, upstream, input.signal, onClientAbort);
      return new StreamOutcome(ctx, batches, this.alone(number));
    } catch (err) {
      input.signal.removeEventListener('abort', onClientAbort);
      throw await this.fail(hooks, ctx, err, input.signal);
    }
  }

  async embeddings(input: InferenceInput<EmbeddingRequest>): Promise<EmbeddingOutcome> {
    const route = this.resolve(input.request.model, input.caller, 'embedding');
    const ctx = this.context('embedding', input, route, false) as EmbeddingInferenceContext;
    const response = await this.whole(
      ctx,
      input,
      () => this.deps.dispatch.embeddings(route, ctx.request, { signal: input.signal, requestId: ctx.requestId }),
      () => ({ promptTokens: estimateTokens(ctx.request.input.reduce((sum, s) => sum + s.length, 0)), completionTokens: 0 }),
    );
    return { ctx, response };
  }

  /**
   * A whole (non-streamed) answer: `beforeDispatch` hooks, the dispatch, usage (reported, or
   * estimated when the upstream gave none), then `afterResponse` — or `onError` on any failure.
   * `serve` reads `ctx.request` only when called, so hook edits reach the upstream.
   */
  private async whole<R extends ChatResponse | EmbeddingResponse>(
    ctx: InferenceContext,
    input: InferenceInput<unknown>,
    serve: () => Promise<Served & { response: R }>,
    estimateUsage: (response: R) => Usage,
  ): Promise<R> {
    const hooks = this.deps.hooks.list();
    const number = ++this.requestsStarted;
    try {
      const admitting = this.beforeDispatch(hooks, ctx, input.deferredChecks);
      if (admitting) await admitting;
      const served = await serve();
      recordServed(ctx, served);
      ctx.usage = served.response.usage ?? estimateUsage(served.response);
      ctx.usageEstimated = served.response.usage === undefined;
      ctx.finishedAt = Date.now();
      this.settle(hooks, ctx, number, served.response);
      return served.response;
    } catch (err) {
      throw await this.fail(hooks, ctx, err, input.signal);
    }
  }

  private async *settleStream(
    hooks: readonly InferenceHook[],
    ctx: ChatInferenceContext,
    number: number,
    serving: Promise<Served & { chunks: AsyncIterable<ChatStreamItem> }>,
    upstream: PlainAbortSignal,
    clientSignal: AbortSignalLike,
    onClientAbort: () => void,
  ): AsyncGenerator<readonly ChatChunk[]> {
    const assembler = new StreamAssembler();
    const promptEstimate = estimatePromptTokens(ctx.request);
    const countUsage = () => {
      const reported = assembler.reportedUsage;
      ctx.usage = reported ?? { promptTokens: promptEstimate, completionTokens: estimateTokens(assembler.outputChars) };
      ctx.usageEstimated = reported === undefined;
    };
    countUsage();
    let settled = false;
    try {
      const served = await serving;
      recordServed(ctx, served);
      for await (const item of served.chunks) {
        const batch = chunksOf(item);
        if (batch.length === 0) continue;
        ctx.firstChunkAt ??= Date.now();
        for (const chunk of batch) {
          assembler.add(chunk);
          countUsage();
          for (const hook of hooks) {
            if (!hook.onChunk) continue;
            // Not awaited when synchronous: per chunk, per hook, that would be a microtask turn each.
            const observing = hook.onChunk(ctx, chunk);
            if (observing) await observing;
          }
        }
        yield batch;
      }
      settled = true;
      ctx.finishedAt = Date.now();
      // Always in the background: measured against waiting, -7.9 % CPU at 16 connections.
      this.settle(hooks, ctx, number, assembler.response(ctx.backend?.upstreamModel ?? ctx.request.model));
    } catch (err) {
      settled = true;
      upstream.abort();
      throw await this.fail(hooks, ctx, err, clientSignal);
    } finally {
      clientSignal.removeEventListener('abort', onClientAbort);
      if (!settled) {
        // The consumer stopped reading: the client is gone. Stop the upstream and settle what was used.
        upstream.abort();
        ctx.aborted = true;
        ctx.finishedAt = Date.now();
        await this.onError(hooks, ctx, new GatewayError(CLIENT_CLOSED, 'The client closed the connection before the answer was complete.', { status: 499 }));
      }
    }
  }

  /**
   * `beforeDispatch` hooks in order, then admission: `admit` hooks and deferred checks at once.
   * Returns nothing (not a promise) when every hook answered at once and nothing was deferred,
   * as on nearly every request: limits and budgets are answered from memory.
   */
  private beforeDispatch(hooks: readonly InferenceHook[], ctx: InferenceContext, deferred: readonly Promise<void>[] = []): Promise<void> | undefined {
    for (let i = 0; i < hooks.length; i++) {
      const hook = hooks[i]!;
      if (!hook.beforeDispatch) continue;
      // Most edit the request synchronously (prompts): they are not awaited.
      const editing = hook.beforeDispatch(ctx);
      if (editing) return editing.then(() => this.editedThenAdmit(hooks, i + 1, ctx, deferred));
    }
    return this.admit(hooks, ctx, deferred);
  }

  /** The rest of `beforeDispatch` after a hook that edited asynchronously. */
  private async editedThenAdmit(hooks: readonly InferenceHook[], from: number, ctx: InferenceContext, deferred: readonly Promise<void>[]): Promise<void> {
    for (const hook of hooks.slice(from)) if (hook.beforeDispatch) await hook.beforeDispatch(ctx);
    await this.admit(hooks, ctx, deferred);
  }

  private admit(hooks: readonly InferenceHook[], ctx: InferenceContext, deferred: readonly Promise<void>[]): Promise<void> | undefined {
    let checks: Promise<void>[] | undefined = deferred.length > 0 ? [...deferred] : undefined;
    for (const hook of hooks) {
      if (!hook.admit) continue;
      let admitting: void | Promise<void>;
      try {
        admitting = hook.admit(ctx);
      } catch (err) {
        // A refusal; the others still settle first (below).
        admitting = Promise.reject(err);
      }
      if (admitting) (checks ??= []).push(admitting);
    }
    if (!checks) return undefined;
    if (checks.length === 1) return checks[0];
    return settledAll(checks);
  }

  /**
   * Starts `afterResponse`; the instance waits for it before stopping, the answer does not.
   *
   * A request that had the instance to itself (`number`: no request started after it) gets its
   * bytes out first: the hooks' work and their Redis write (sent at once on an idle connection)
   * run in the check phase, after this turn's microtasks have written the answer or a stream's
   * last events. bench/compare.ts at 1 connection, p50: 0.52 → 0.43 ms whole (−4.5 % CPU),
   * 1.09 → 0.88 ms streamed. With other requests about, the settlement starts at once:
   * deferring it there too cost ~10 % more CPU at 16 connections, its Redis write missing the
   * turn's coalesced write.
   */
  private settle(hooks: readonly InferenceHook[], ctx: InferenceContext, number: number, result: InferenceResult): void {
    const settling = this.alone(number) ? afterThisTurn().then(() => this.afterResponse(hooks, ctx, result)) : this.afterResponse(hooks, ctx, result);
    this.deps.waitUntil(settling);
  }

  /**
   * afterResponse for every hook; never rejects. The answer exists and was paid for upstream:
   * a failing observer must not take it from the client, nor a slow one delay it.
   */
  private afterResponse(hooks: readonly InferenceHook[], ctx: InferenceContext, result: InferenceResult): Promise<void> {
    return this.together(hooks, 'afterResponse', ctx, (hook) => hook.afterResponse!(ctx, result));
  }

  private onError(hooks: readonly InferenceHook[], ctx: InferenceContext, error: GatewayError): Promise<void> {
    return this.together(hooks, 'onError', ctx, (hook) => hook.onError!(ctx, error));
  }

  /**
   * Runs `phase` of every hook that has it, started in registration order and awaited together:
   * each is usually a write (settle a budget, count tokens), and issued in one turn they share
   * the round trip instead of queueing behind one another. Failures are logged, never thrown.
   */
  private async together(
    hooks: readonly InferenceHook[],
    phase: 'afterResponse' | 'onError',
    ctx: InferenceContext,
    run: (hook: InferenceHook) => void | Promise<void>,
  ): Promise<void> {
    const failed = (err: unknown, hook: InferenceHook) => this.deps.log.error({ err, hook: hook.name, requestId: ctx.requestId }, `${phase} hook failed`);
    // A synchronous hook (the rate limiter's token count) is done when `run` returns; only the
    // others are awaited, each with its own catch.
    let running: Promise<void>[] | undefined;
    for (const hook of hooks) {
      if (!hook[phase]) continue;
      try {
        const pending = run(hook);
        if (pending) (running ??= []).push(pending.then(undefined, (err: unknown) => failed(err, hook)));
      } catch (err) {
        failed(err, hook);
      }
    }
    if (running) await Promise.all(running);
  }

  private async fail(hooks: readonly InferenceHook[], ctx: InferenceContext, err: unknown, clientSignal: AbortSignalLike): Promise<GatewayError> {
    ctx.aborted = clientSignal.aborted;
    ctx.finishedAt = Date.now();
    const error = toGatewayError(err, ctx.aborted);
    if (error.code === 'INTERNAL' && error.cause) this.deps.log.error({ err: error.cause, requestId: ctx.requestId }, 'inference failed');
    await this.onError(hooks, ctx, error);
    return error;
  }
}

/**
 * Waits for every check, then throws the first refusal in order (deferred checks, then hooks by
 * registration): all of them settle first, so onError sees every hold that was placed.
 */
async function settledAll(checks: readonly Promise<void>[]): Promise<void> {
  for (const result of await Promise.allSettled(checks)) if (result.status === 'rejected') throw result.reason;
}

function recordServed(ctx: InferenceContext, served: Served): void {
  ctx.backend = served.backend;
  ctx.provider = { id: served.providerId, kind: served.providerKind };
  ctx.attempts = served.attempts;
}

function outputChars(response: ChatResponse): number {
  let chars = 0;
  for (const block of response.message.content) if (block.type !== 'image') chars += block.text.length;
  for (const call of response.message.toolCalls ?? []) chars += call.name.length + call.arguments.length;
  return chars;
}

/**
 * A stream's outcome. The routes read `batches`; the one-by-one view is made only for a consumer
 * that asks for it. A class, not an object literal with `get chunks()`: V8 keeps a literal's
 * getter in the object's hidden class, and hidden classes live in the old generation, so the
 * getter's closure and all it reached (the request's context, the generators, the upstream
 * signal) were referenced from old space and survived every young collection until the next
 * full one. The gateway promoted ~6 KB per stream for it, most of a stream's promotion
 * (bench/README.md, "Garbage that lives too long").
 */
class StreamOutcome implements ChatStreamOutcome {
  constructor(
    readonly ctx: ChatInferenceContext,
    readonly batches: AsyncIterable<readonly ChatChunk[]>,
    readonly alone: boolean,
  ) {}

  get chunks(): AsyncIterable<ChatChunk> {
    return oneByOne(this.batches);
  }
}

/** A stream of batches as single chunks, for consumers that want them one at a time. */
async function* oneByOne(batches: AsyncIterable<readonly ChatChunk[]>): AsyncGenerator<ChatChunk> {
  for await (const batch of batches) yield* batch;
}
