/**
 * @module @scaigrid/plugin-dispatch-openai
 * The `openai` provider kind (Chat Completions and Embeddings) and the reusable pieces every
 * OpenAI-compatible provider package builds on: `createOpenAICompatibleDispatcher`, the pure
 * request/response/stream mappers, and the provider-neutral HTTP/SSE helpers (also used by
 * dispatch-anthropic). See README.md for the extension surface.
 */
import { defineModule } from '@scaigrid/kernel';
import { dispatcherRegistryRef } from '@scaigrid/plugin-dispatch';
import { dispatchOpenAIConfig } from './config.js';
import { createOpenAICompatibleDispatcher } from './openai-compatible-dispatcher.js';

export * from './openai-wire.js';
export * from './openai-request.js';
export * from './openai-response.js';
export * from './openai-stream.js';
export * from './openai-compatible-dispatcher.js';
// The provider-neutral toolkit now lives in dispatch; re-exported for OpenAI-compatible packages.
export { extraHeaders, providerOption, joinUrl, postJson, readJson, sseEvents, sseEventBatches, toUpstreamError, upstreamErrorFromResponse, extractErrorMessage, redactSecrets, parseRetryAfter, type SseEvent, type UpstreamRequest, type UpstreamResponse } from '@scaigrid/plugin-dispatch';
export { dispatchOpenAIConfig, type DispatchOpenAIConfig } from './config.js';

export default defineModule({
  id: 'dispatch-openai',
  version: '0.1.0',
  dependsOn: ['dispatch'],
  config: dispatchOpenAIConfig,
  setup(ctx) {
    ctx.use(dispatcherRegistryRef).register(createOpenAICompatibleDispatcher({ kind: 'openai', maxTokensField: ctx.config.maxTokensField }));
  },
});
