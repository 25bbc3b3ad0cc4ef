/**
 * @module anthropic/anthropic-routes
 * Anthropic's Messages API mounted at `/anthropic/v1`: `POST /messages` (whole, or streamed
 * as Anthropic's named SSE events), `POST /messages/count_tokens` and `GET /models`, served by
 * whatever backend the model routes to, through the same pipeline as `/oai/v1` (auth, rate
 * limits, hooks for budgets, prompts and accounting, failover). Handlers only validate,
 * translate and call the pipeline; errors thrown here are rendered in Anthropic's shape by
 * the mount's `renderError`. Once a stream has started, a failure can no longer change the
 * status, so it is sent as an `event: error`, which Anthropic's SDKs raise as an APIError.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { clientSignal } from '@scaigrid/kernel';
import type { RoutingService } from '@scaigrid/plugin-routing';
import type { ChatChunk, ChatRequest } from '../chat-model.js';
import { deferredChecks } from '../deferred-checks.js';
import { toGatewayError } from '../errors.js';
import type { ChatInferenceContext } from '../inference-hooks.js';
import type { InferenceInput, InferenceService } from '../inference-pipeline.js';
import { readJsonBody, validateBody } from '../request-validation.js';
import { sseResponse, type SseEvent, type SseItem } from '../sse-writer.js';
import { estimatePromptTokens } from '../usage-estimate.js';
import { toAnthropicError } from './anthropic-errors.js';
import { toChatRequest, toConversation } from './anthropic-request-mapping.js';
import { anthropicCountTokensRequestSchema, anthropicMessagesRequestSchema } from './anthropic-request-schema.js';
import { toAnthropicMessage, toAnthropicModelList, type MessageIdentity } from './anthropic-response-mapping.js';
import { AnthropicStreamEncoder } from './anthropic-stream-encoder.js';

export interface AnthropicRoutesDeps {
  inference: InferenceService;
  routing: RoutingService;
  /** `requirePermission('models:use')` from the auth plugin. */
  guard: MiddlewareHandler;
}

function input(c: Context, request: ChatRequest): InferenceInput<ChatRequest> {
  return { api: 'anthropic', requestId: c.get('requestId'), caller: c.get('caller')!, request, signal: clientSignal(c), deferredChecks: deferredChecks(c) };
}

export function anthropicRoutes(deps: AnthropicRoutesDeps): Hono {
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    // Anthropic's SDKs read the request id from this header (`_request_id`, `error.requestID`).
    c.header('request-id', c.get('requestId'));
  });
  app.use('*', deps.guard);

  app.post('/messages', async (c) => {
    const body = validateBody(anthropicMessagesRequestSchema, await readJsonBody(c));
    const identity: MessageIdentity = {
      id: `msg_${randomUUID().replace(/-/g, '')}`,
      model: body.model,
      includeThinking: body.thinking?.type === 'enabled',
    };
    if (!body.stream) {
      const { ctx, response } = await deps.inference.chat(input(c, toChatRequest(body)));
      return c.json(toAnthropicMessage(response, identity, ctx.usage!));
    }
    const { ctx, batches, alone } = await deps.inference.chatStream(input(c, toChatRequest(body)));
    return sseResponse(c, anthropicStreamEvents(ctx, batches, new AnthropicStreamEncoder(identity)), { headAtOnce: alone });
  });

  app.post('/messages/count_tokens', async (c) => {
    const body = validateBody(anthropicCountTokensRequestSchema, await readJsonBody(c));
    // Resolving checks the model exists and is visible to the caller (404 otherwise); nothing is dispatched.
    deps.routing.resolve(body.model, c.get('caller'));
    return c.json({ input_tokens: estimatePromptTokens(toConversation(body)) });
  });

  app.get('/models', (c) => c.json(toAnthropicModelList(deps.routing.listModels(c.get('caller')))));

  return app;
}

/**
 * The SSE events of one streamed message, in Anthropic's order. The opening events leave with
 * the first batch, as the OpenAI route's role chunk does (one step through the generators less).
 */
export async function* anthropicStreamEvents(
  ctx: Pick<ChatInferenceContext, 'usage' | 'request'>,
  batches: AsyncIterable<readonly ChatChunk[]>,
  encoder: AnthropicStreamEncoder,
): AsyncGenerator<SseItem> {
  // The request as dispatched (after prompt hooks), so the estimate counts what the model reads.
  let opening: SseEvent[] | undefined = encoder.start(estimatePromptTokens(ctx.request));
  try {
    for await (const batch of batches) {
      const events = opening ?? [];
      opening = undefined;
      for (const chunk of batch) events.push(...encoder.encode(chunk));
      if (events.length > 0) yield events;
    }
  } catch (err) {
    const { body } = toAnthropicError(toGatewayError(err));
    // Mid-stream, only the types Anthropic itself sends there make sense to a client.
    const type = body.error.type === 'overloaded_error' ? 'overloaded_error' : 'api_error';
    const failing = opening ?? [];
    failing.push({ event: 'error', data: JSON.stringify({ type: 'error', error: { type, message: body.error.message } }) });
    yield failing;
    return;
  }
  const closing = opening ?? [];
  closing.push(...encoder.finish(ctx.usage ?? { promptTokens: 0, completionTokens: 0 }));
  yield closing;
}
