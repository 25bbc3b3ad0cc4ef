/**
 * @module @scaigrid/plugin-dispatch-mock
 * The `mock` provider kind: deterministic chat, streaming, tool calls and embeddings with no
 * network, so the quick start works without keys and tests exercise the whole pipeline.
 */
import { defineModule } from '@scaigrid/kernel';
import { dispatcherRegistryRef } from '@scaigrid/plugin-dispatch';
import { MockDispatcher } from './mock-dispatcher.js';

export { MockDispatcher } from './mock-dispatcher.js';
export { mockAnswer, streamPieces, type MockAnswer } from './mock-answer.js';
export { countTokens, countPromptTokens } from './mock-tokens.js';
export { mockEmbedding, DEFAULT_DIMENSIONS } from './mock-embedding.js';
export { mockQuickStartConfig, MOCK_PROVIDER_ID } from './quick-start.js';

export default defineModule({
  id: 'dispatch-mock',
  version: '0.1.0',
  dependsOn: ['dispatch'],
  setup(ctx) {
    ctx.use(dispatcherRegistryRef).register(new MockDispatcher());
  },
});
