/**
 * @module @scaigrid/plugin-dispatch-anthropic
 * The `anthropic` provider kind: Anthropic's Messages API, whole and streamed, behind the
 * gateway's normalized chat model. The pure mappers are exported for reuse (e.g. a Bedrock
 * or Vertex flavour of the same API).
 */
import { defineModule } from '@scaigrid/kernel';
import { dispatcherRegistryRef } from '@scaigrid/plugin-dispatch';
import { dispatchAnthropicConfig } from './config.js';
import { createAnthropicDispatcher } from './anthropic-dispatcher.js';

export * from './anthropic-wire.js';
export * from './anthropic-request.js';
export * from './anthropic-response.js';
export * from './anthropic-stream.js';
export * from './anthropic-dispatcher.js';
export { dispatchAnthropicConfig, type DispatchAnthropicConfig } from './config.js';

export default defineModule({
  id: 'dispatch-anthropic',
  version: '0.1.0',
  dependsOn: ['dispatch'],
  config: dispatchAnthropicConfig,
  setup(ctx) {
    ctx.use(dispatcherRegistryRef).register(
      createAnthropicDispatcher({ defaultMaxTokens: ctx.config.defaultMaxTokens, anthropicVersion: ctx.config.anthropicVersion }),
    );
  },
});
