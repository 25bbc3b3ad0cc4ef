/**
 * @module @scaigrid/plugin-dispatch-mistral
 * The `mistral` provider kind (Mistral AI's La Plateforme or a Mistral-API-compatible
 * deployment): chat completions, streams and embeddings (`mistral-embed`) through
 * dispatch-openai's OpenAI-compatible dispatcher, adapted to what Mistral's API rejects or
 * names differently. See README.md.
 */
import { defineModule } from '@scaigrid/kernel';
import { dispatcherRegistryRef } from '@scaigrid/plugin-dispatch';
import { createMistralDispatcher } from './mistral-dispatcher.js';

export * from './mistral-body.js';
export * from './mistral-dispatcher.js';

export default defineModule({
  id: 'dispatch-mistral',
  version: '0.1.0',
  dependsOn: ['dispatch'],
  setup(ctx) {
    ctx.use(dispatcherRegistryRef).register(createMistralDispatcher());
  },
});
