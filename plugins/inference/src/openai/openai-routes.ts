/**
 * @module openai/openai-routes
 * The OpenAI-compatible API mounted at `/oai/v1`: chat completions (whole or streamed as
 * `chat.completion.chunk` SSE ending in `data: [DONE]`), embeddings and the model list.
 * Handlers only validate, translate and call the pipeline; errors thrown here are rendered
 * in OpenAI's shape by the mount's `renderError`. Once a stream has started, a failure can
 * no longer change the status, so it is sent as a `data: {"error": ...}` event and the
 * stream ends, which OpenAI's SDKs raise as an APIError.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { clientSignal } from '@scaigrid/kernel';
import type { RoutingService } from '@scaigrid/plugin-routing';
import type { ChatChunk } from '../chat-model.js';
import { deferredChecks } from '../deferred-checks.js';
import { toGatewayError } from '../errors.js';
import type { InferenceInput, InferenceService } from '../inference-pipeline.js';
import type { ChatInferenceContext } from '../inference-hooks.js';
import { readJsonBody, validateBody } from '../request-validation.js';
import { sseResponse, type SseEvent, type SseItem } from '../sse-writer.js';
import { toOpenAIError } from './openai-errors.js';
import { toChatRequest, toEmbeddingRequest } from './openai-request-mapping.js';
import { openAIChatRequestSchema, openAIEmbeddingRequestSchema } from './openai-request-schema.js';
import { OpenAIStreamEncoder, toOpenAICompletion, toOpenAIEmbeddingList, toOpenAIModelList, type CompletionIdentity } from './openai-response-mapping.js';

export interface OpenAIRoutesDeps {
  inference: InferenceService;
  routing: RoutingService;
  /** `requirePermission('models:use')` from the auth plugin. */
  guard: MiddlewareHandler;
}

function input<R>(c: Context, request: R): InferenceInput<R> {
  return { api: 'openai', requestId: c.get('requestId'), caller: c.get('caller')!, request, signal: clientSignal(c), deferredChecks: deferredChecks(c) };
}

export function openAIRoutes(deps: OpenAIRoutesDeps): Hono {
  const app = new Hono();
  app.use('*', deps.guard);

  app.post('/chat/completions', async (c) => {
    const body = validateBody(openAIChatRequestSchema, await readJsonBody(c));
    const identity: CompletionIdentity = { id: `chatcmpl-${randomUUID().replace(/-/g, '')}`, created: Math.floor(Date.now() / 1000), model: body.model };
    if (!body.stream) {
      const { ctx, response } = await deps.inference.chat(input(c, toChatRequest(body)));
      return c.json(toOpenAICompletion(response, identity, ctx.usage!));
    }
    const { ctx, batches, alone } = await deps.inference.chatStream(input(c, toChatRequest(body)));
    const encoder = new OpenAIStreamEncoder(identity, body.stream_options?.include_usage === true);
    return sseResponse(c, openAIStreamEvents(ctx, batches, encoder), { headAtOnce: alone });
  });

  app.post('/embeddings', async (c) => {
    const body = validateBody(openAIEmbeddingRequestSchema, await readJsonBody(c));
    const { ctx, response } = await deps.inference.embeddings(input(c, toEmbeddingRequest(body)));
    return c.json(toOpenAIEmbeddingList(response, body.model, ctx.usage!, body.encoding_format ?? 'float'));
  });

  app.get('/models', (c) => c.json(toOpenAIModelList(deps.routing.listModels(c.get('caller')))));

  return app;
}

/**
 * The SSE events of one streamed completion, in OpenAI's order: one array per batch of chunks.
 * The role chunk leaves with the first batch (the pipeline has it already: dispatch waited for
 * it to choose the upstream) and the closing chunks with `[DONE]`: each item is a step through
 * every generator down to the upstream body, about four promises per stream for each one saved.
 */
export async function* openAIStreamEvents(
  ctx: Pick<ChatInferenceContext, 'usage'>,
  batches: AsyncIterable<readonly ChatChunk[]>,
  encoder: OpenAIStreamEncoder,
): AsyncGenerator<SseItem> {
  let opening: SseEvent[] | undefined = [{ data: JSON.stringify(encoder.start()) }];
  try {
    for await (const batch of batches) {
      const events = opening ?? [];
      opening = undefined;
      for (const chunk of batch) {
        const data = encoder.encodeJson(chunk);
        if (data !== undefined) events.push({ data });
      }
      if (events.length > 0) yield events;
    }
  } catch (err) {
    const failing = opening ?? [];
    failing.push({ data: JSON.stringify(toOpenAIError(toGatewayError(err)).body) });
    yield failing;
    return;
  }
  const closing = opening ?? [];
  for (const out of encoder.finish(ctx.usage ?? { promptTokens: 0, completionTokens: 0 })) closing.push({ data: JSON.stringify(out) });
  closing.push({ data: '[DONE]' });
  yield closing;
}
