/**
 * @module inference-hooks
 * The extension points of the request path (DESIGN.md §6). Accounting, prompts, audit and
 * others register hooks through the `inference.hooks` service instead of being called by
 * name, so each of them stays optional: with no hook registered the pipeline still serves.
 * Hooks are called in registration order, which is the modules' topological (setup) order;
 * `beforeDispatch` hooks one after the other, `admit`, `afterResponse` and `onError` hooks all
 * started at once and awaited together (each is usually one Redis write).
 */
import { serviceRef, type GatewayError } from '@scaigrid/kernel';
import type { Caller } from '@scaigrid/plugin-auth';
import type { Backend, ModelRoute } from '@scaigrid/plugin-routing';
import type { ChatChunk, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, Usage } from './chat-model.js';

/** Which inbound API the request came through. */
export type InboundApi = 'openai' | 'native' | (string & {});

interface InferenceContextBase {
  readonly requestId: string;
  /** The authenticated caller (routes are guarded by `models:use`). */
  readonly caller: Caller;
  readonly api: InboundApi;
  readonly stream: boolean;
  /** The resolved frontend model: slug, metadata, candidate backends in order, their prices. */
  readonly route: ModelRoute;
  /** Epoch ms when the pipeline started the request. */
  readonly startedAt: number;
  /** Per-request scratch space for plugins; key it by your module id. */
  readonly state: Map<string, unknown>;
  /** The backend that served (set once dispatch picked one, failover included). */
  backend?: Backend;
  /** The provider instance of that backend. */
  provider?: { id: string; kind: string };
  /** Backends tried, the serving one included (1 = no failover). */
  attempts?: number;
  /**
   * Tokens used so far. Streams update it as chunks arrive; when the upstream reports no usage
   * it holds an estimate and `usageEstimated` is true.
   */
  usage?: Usage;
  usageEstimated: boolean;
  /** Epoch ms of the first streamed chunk. */
  firstChunkAt?: number;
  /** Epoch ms when the request settled (response sent, stream ended or failed). */
  finishedAt?: number;
  /** True when the client went away before the answer was complete. */
  aborted: boolean;
}

export interface ChatInferenceContext extends InferenceContextBase {
  readonly kind: 'chat';
  /** The normalized request; hooks may change it in `beforeDispatch` (e.g. the system prompt). */
  request: ChatRequest;
}

export interface EmbeddingInferenceContext extends InferenceContextBase {
  readonly kind: 'embedding';
  request: EmbeddingRequest;
}

export type InferenceContext = ChatInferenceContext | EmbeddingInferenceContext;

/** What `afterResponse` receives: the whole answer (for streams, assembled from the chunks). */
export type InferenceResult = ChatResponse | EmbeddingResponse;

type MaybePromise = void | Promise<void>;

export interface InferenceHook {
  /** Shown in logs when the hook fails; use your module id. */
  name?: string;
  /**
   * Before any upstream call, one hook after the other in registration order; may change
   * `ctx.request` (e.g. the system prompt). Throwing fails the request; nothing is dispatched.
   */
  beforeDispatch?(ctx: InferenceContext): MaybePromise;
  /**
   * May this request go upstream? Runs after every `beforeDispatch`, at the same time as the
   * other hooks' `admit` and the checks middlewares deferred (see deferred-checks), so that
   * budget holds and limit checks — a Redis round trip each — cost one round trip of waiting.
   * Must not change `ctx.request`. Throwing (e.g. BUDGET_EXCEEDED) refuses the request; when
   * any check refuses, `onError` runs for every hook, so undo what you reserved there.
   */
  admit?(ctx: InferenceContext): MaybePromise;
  /** Each streamed chunk, before it is forwarded. Throwing ends the stream with that error. */
  onChunk?(ctx: ChatInferenceContext, chunk: ChatChunk): MaybePromise;
  /**
   * After a successful answer (streams: after the last chunk). The answer does not wait for it
   * and may reach the client before it finishes; a stopping instance waits for it. Errors are
   * logged, not sent.
   */
  afterResponse?(ctx: InferenceContext, result: InferenceResult): MaybePromise;
  /**
   * After any failure once the context exists — a `beforeDispatch` refusal, an upstream error,
   * a stream cut short by either side (`ctx.aborted` for the client) — with the usage so far.
   * Every hook is called, so check your own `ctx.state` to know what you reserved.
   */
  onError?(ctx: InferenceContext, error: GatewayError): MaybePromise;
}

export interface InferenceHooks {
  /** Adds a hook; returns a function that removes it. */
  register(hook: InferenceHook): () => void;
}

export const inferenceHooksRef = serviceRef<InferenceHooks>('inference.hooks');

/** The registry behind `inference.hooks`; the pipeline reads `list()` on every request. */
export class InferenceHookRegistry implements InferenceHooks {
  private hooks: readonly InferenceHook[] = [];

  register(hook: InferenceHook): () => void {
    this.hooks = [...this.hooks, hook];
    return () => {
      this.hooks = this.hooks.filter((h) => h !== hook);
    };
  }

  /** A snapshot: hooks added while a request runs apply from the next request on. */
  list(): readonly InferenceHook[] {
    return this.hooks;
  }
}
