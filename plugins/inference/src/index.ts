/**
 * @module @scaigrid/plugin-inference
 * The request path for model calls: inbound adapters (OpenAI-compatible `/oai/v1`, native
 * `/v1/inference`, Anthropic Messages `/anthropic/v1`) over one pipeline that resolves the
 * model, runs the registered hooks, dispatches with failover and settles. Provides
 * `inference.hooks` (extension points for accounting, prompts, audit...) and
 * `inference.service` (the pipeline, for other adapters).
 */
import { defineModule } from '@scaigrid/kernel';
import { authServiceRef } from '@scaigrid/plugin-auth';
import { dispatchServiceRef } from '@scaigrid/plugin-dispatch';
import { routingServiceRef } from '@scaigrid/plugin-routing';
import { renderAnthropicError } from './anthropic/anthropic-errors.js';
import { anthropicRoutes } from './anthropic/anthropic-routes.js';
import { inferenceConfigSchema } from './config.js';
import { openDeferredChecks, PIPELINE_ENDPOINTS } from './deferred-checks.js';
import { InferenceHookRegistry, inferenceHooksRef } from './inference-hooks.js';
import { InferencePipeline, inferenceServiceRef } from './inference-pipeline.js';
import { nativeRoutes } from './native/native-routes.js';
import { renderOpenAIError } from './openai/openai-errors.js';
import { openAIRoutes } from './openai/openai-routes.js';

export * from './chat-model.js';
export * from './inference-hooks.js';
export * from './inference-pipeline.js';
export { CLIENT_CLOSED } from './errors.js';
export { deferCheck } from './deferred-checks.js';
export type { InferenceConfig } from './config.js';

export default defineModule({
  id: 'inference',
  version: '0.1.0',
  dependsOn: ['auth', 'routing', 'dispatch'],
  config: inferenceConfigSchema,
  setup(ctx) {
    const hooks = new InferenceHookRegistry();
    const routing = ctx.use(routingServiceRef);
    const pipeline = new InferencePipeline({ routing, dispatch: ctx.use(dispatchServiceRef), hooks, log: ctx.log, waitUntil: (work) => ctx.waitUntil(work) });
    ctx.provide(inferenceHooksRef, hooks);
    ctx.provide(inferenceServiceRef, pipeline);

    const guard = ctx.use(authServiceRef).requirePermission('models:use');
    const mounts = { openai: ctx.config.openaiApi && '/oai/v1', native: ctx.config.nativeApi && '/v1/inference', anthropic: ctx.config.anthropicApi && '/anthropic/v1' };
    for (const [api, mount] of Object.entries(mounts)) {
      if (!mount) continue;
      for (const endpoint of PIPELINE_ENDPOINTS[api as keyof typeof mounts]) ctx.middleware('request', openDeferredChecks(), { path: `${mount}${endpoint}` });
    }
    if (ctx.config.openaiApi) ctx.mount('/oai/v1', openAIRoutes({ inference: pipeline, routing, guard }), { renderError: renderOpenAIError });
    if (ctx.config.nativeApi) ctx.mount('/v1/inference', nativeRoutes({ inference: pipeline, routing, guard }));
    if (ctx.config.anthropicApi) ctx.mount('/anthropic/v1', anthropicRoutes({ inference: pipeline, routing, guard }), { renderError: renderAnthropicError });
  },
});
