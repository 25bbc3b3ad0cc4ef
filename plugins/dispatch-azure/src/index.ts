/**
 * @module @scaigrid/plugin-dispatch-azure
 * The `azure` provider kind (Azure OpenAI): chat completions, streams and embeddings through
 * dispatch-openai's OpenAI-compatible dispatcher, addressed by deployment and api-version,
 * authenticated by `api-key` or an Entra ID token, with content-filter results normalized
 * to the `content_filter` finish reason. See README.md.
 */
import { defineModule } from '@scaigrid/kernel';
import { dispatcherRegistryRef } from '@scaigrid/plugin-dispatch';
import { createAzureDispatcher } from './azure-dispatcher.js';
import { dispatchAzureConfig } from './config.js';

export * from './azure-dispatcher.js';
export { dispatchAzureConfig, AZURE_DEFAULT_API_VERSION, type DispatchAzureConfig } from './config.js';

export default defineModule({
  id: 'dispatch-azure',
  version: '0.1.0',
  dependsOn: ['dispatch'],
  config: dispatchAzureConfig,
  setup(ctx) {
    ctx.use(dispatcherRegistryRef).register(createAzureDispatcher({ apiVersion: ctx.config.apiVersion }));
  },
});
