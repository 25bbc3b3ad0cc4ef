/**
 * @module native/native-routes
 * The native inference API mounted at `/v1/inference`: `POST /chat`, whole or streamed as
 * SSE with named events — `chunk` (text, reasoning and tool-call deltas), `done` (finish
 * reason and usage) or `error` (the native error envelope) — and `GET /models`. Errors
 * before the stream starts use the kernel's native envelope.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { clientSignal } from '@scaigrid/kernel';
import type { RoutingService } from '@scaigrid/plugin-routing';
import type { ChatChunk, FinishReason } from '../chat-model.js';
import { deferredChecks } from '../deferred-checks.js';
import { toGatewayError } from '../errors.js';
import type { ChatInferenceContext } from '../inference-hooks.js';
import type { InferenceService } from '../inference-pipeline.js';
import { readJsonBody, validateBody } from '../request-validation.js';
import { sseResponse, type SseEvent, type SseItem } from '../sse-writer.js';
import { fromNativeRequest, toNativeChunk, toNativeResponse, toNativeUsage } from './native-mapping.js';
import { nativeChatRequestSchema } from './native-schema.js';

export interface NativeRoutesDeps {
  inference: InferenceService;
  routing: RoutingService;
  guard: MiddlewareHandler;
}

export function nativeRoutes(deps: NativeRoutesDeps): Hono {
  const app = new Hono();
  app.use('*', deps.guard);

  app.post('/chat', async (c: Context) => {
    const body = validateBody(nativeChatRequestSchema, await readJsonBody(c));
    const requestId: string = c.get('requestId');
    const input = { api: 'native', requestId, caller: c.get('caller')!, request: fromNativeRequest(body), signal: clientSignal(c), deferredChecks: deferredChecks(c) };
    const identity = { id: `chat_${randomUUID().replace(/-/g, '')}`, model: body.model, requestId };
    if (!body.stream) {
      const { ctx, response } = await deps.inference.chat(input);
      return c.json(toNativeResponse(response, identity, toNativeUsage(ctx.usage!, ctx.usageEstimated)));
    }
    const { ctx, batches, alone } = await deps.inference.chatStream(input);
    return sseResponse(c, nativeStreamEvents(ctx, batches, identity), { headAtOnce: alone });
  });

  app.get('/models', (c) => c.json({ models: deps.routing.listModels(c.get('caller')).map((m) => ({ slug: m.slug, kind: m.kind, created_at: m.createdAt })) }));

  return app;
}

export async function* nativeStreamEvents(
  ctx: Pick<ChatInferenceContext, 'usage' | 'usageEstimated'>,
  batches: AsyncIterable<readonly ChatChunk[]>,
  identity: { id: string; model: string; requestId: string },
): AsyncGenerator<SseItem> {
  let finishReason: FinishReason = 'stop';
  try {
    for await (const batch of batches) {
      const events: SseEvent[] = [];
      for (const chunk of batch) {
        if (chunk.type === 'finish') finishReason = chunk.finishReason;
        const data = toNativeChunk(chunk);
        if (data) events.push({ event: 'chunk', data: JSON.stringify(data) });
      }
      if (events.length > 0) yield events;
    }
  } catch (err) {
    const error = toGatewayError(err);
    yield { event: 'error', data: JSON.stringify({ error: { code: error.code, message: error.message, request_id: identity.requestId } }) };
    return;
  }
  const usage = toNativeUsage(ctx.usage ?? { promptTokens: 0, completionTokens: 0 }, ctx.usageEstimated);
  yield { event: 'done', data: JSON.stringify({ id: identity.id, model: identity.model, finish_reason: finishReason, usage, request_id: identity.requestId }) };
}
