/**
 * @module @scaigrid/plugin-dispatch-custom
 * The `custom` provider kind: any OpenAI-compatible server, with its auth header and scheme,
 * extra headers and endpoint paths as provider options. See README.md.
 */
import { defineModule } from '@scaigrid/kernel';
import { dispatcherRegistryRef } from '@scaigrid/plugin-dispatch';
import { createCustomDispatcher } from './custom-dispatcher.js';

export * from './custom-dispatcher.js';

export default defineModule({
  id: 'dispatch-custom',
  version: '0.1.0',
  dependsOn: ['dispatch'],
  setup(ctx) {
    ctx.use(dispatcherRegistryRef).register(createCustomDispatcher());
  },
});
