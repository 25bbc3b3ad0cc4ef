/**
 * @module @scaigrid/plugin-dispatch-google
 * The `google` provider kind: the Gemini API (generateContent, streamGenerateContent over
 * SSE, batchEmbedContents) behind the gateway's normalized chat model. The pure mappers are
 * exported for reuse (e.g. a Vertex AI flavour of the same API, which differs in URL and auth).
 */
import { defineModule } from '@scaigrid/kernel';
import { dispatcherRegistryRef } from '@scaigrid/plugin-dispatch';
import { dispatchGoogleConfig } from './config.js';
import { createGeminiDispatcher } from './gemini-dispatcher.js';

export * from './gemini-wire.js';
export * from './gemini-schema.js';
export * from './gemini-request.js';
export * from './gemini-response.js';
export * from './gemini-stream.js';
export * from './gemini-dispatcher.js';
export { dispatchGoogleConfig, type DispatchGoogleConfig } from './config.js';

export default defineModule({
  id: 'dispatch-google',
  version: '0.1.0',
  dependsOn: ['dispatch'],
  config: dispatchGoogleConfig,
  setup(ctx) {
    ctx.use(dispatcherRegistryRef).register(createGeminiDispatcher({ baseUrl: ctx.config.baseUrl, apiVersion: ctx.config.apiVersion }));
  },
});
