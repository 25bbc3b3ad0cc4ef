/**
 * @module @scaigrid/plugin-dispatch-scaiinfer
 * The `scaiinfer` provider kind (self-hosted ScaiInfer inference servers, OpenAI wire
 * format) and its nodes, added and removed at run time through `/v1/admin/scaiinfer/nodes`
 * or the `dispatch-scaiinfer.nodes` service: each node becomes backends of the models it
 * serves, through routing's `routing.admin`. See README.md.
 */
import { defineModule } from '@scaigrid/kernel';
import { authServiceRef } from '@scaigrid/plugin-auth';
import { dispatcherRegistryRef } from '@scaigrid/plugin-dispatch';
import { routingAdminRef } from '@scaigrid/plugin-routing';
import { dispatchScaiInferConfig } from './config.js';
import { NodeRegistry, scaiInferNodesRef } from './node-registry.js';
import { nodeAdminRoutes } from './routes.js';
import { createScaiInferDispatcher } from './scaiinfer-dispatcher.js';

export * from './scaiinfer-dispatcher.js';
export { scaiInferNodesRef, nodeInputSchema, type ScaiInferNodes, type NodeInput, type NodeView } from './node-registry.js';
export { dispatchScaiInferConfig, type DispatchScaiInferConfig } from './config.js';

export default defineModule({
  id: 'dispatch-scaiinfer',
  version: '0.1.0',
  dependsOn: ['auth', 'dispatch', 'routing'],
  config: dispatchScaiInferConfig,
  setup(ctx) {
    ctx.use(dispatcherRegistryRef).register(createScaiInferDispatcher());
    const nodes = new NodeRegistry(ctx.use(routingAdminRef), ctx.config.providerId);
    ctx.provide(scaiInferNodesRef, nodes);
    ctx.mount('/v1/admin/scaiinfer/nodes', nodeAdminRoutes(ctx.use(authServiceRef), nodes));
  },
});
