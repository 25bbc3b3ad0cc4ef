/**
 * @module @scaigrid/plugin-dispatch-qwen
 * The `qwen` provider kind (Alibaba Cloud Model Studio / DashScope, OpenAI-compatible mode):
 * chat completions, streams with usage, embeddings, region endpoints, and Qwen's reasoning
 * surfaced as reasoning blocks and chunks. See README.md.
 */
import { defineModule } from '@scaigrid/kernel';
import { dispatcherRegistryRef } from '@scaigrid/plugin-dispatch';
import { dispatchQwenConfig } from './config.js';
import { createQwenDispatcher } from './qwen-dispatcher.js';

export * from './qwen-regions.js';
export * from './qwen-dispatcher.js';
export { dispatchQwenConfig, type DispatchQwenConfig } from './config.js';

export default defineModule({
  id: 'dispatch-qwen',
  version: '0.1.0',
  dependsOn: ['dispatch'],
  config: dispatchQwenConfig,
  setup(ctx) {
    ctx.use(dispatcherRegistryRef).register(createQwenDispatcher({ region: ctx.config.region }));
  },
});
