/**
 * @module @scaigrid/plugin-prompts
 * Persona templates and safety prefixes per model, applied to the system prompt in the
 * inference pipeline's `beforeDispatch` hook. Removing this module removes the rewriting and
 * nothing else.
 */
import { defineModule } from '@scaigrid/kernel';
import { inferenceHooksRef } from '@scaigrid/plugin-inference';
import { promptsConfigSchema } from './config.js';
import { CompiledPrompts } from './compiled-prompts.js';
import { builtinVariable, renderCompiled, type BuiltinInput, type CompiledTemplate } from './prompt-template.js';
import { applySystemPrompt } from './system-prompt.js';

export * from './config.js';
export type { PromptsApplied } from './compiled-prompts.js';
export { renderTemplate, builtinVariables } from './prompt-template.js';
export { applySystemPrompt } from './system-prompt.js';

export default defineModule({
  id: 'prompts',
  version: '0.1.0',
  dependsOn: ['inference'],
  optionalDependsOn: ['routing'],
  config: promptsConfigSchema,
  setup(ctx) {
    const config = ctx.config;
    const prompts = new CompiledPrompts(config);
    ctx.use(inferenceHooksRef).register({
      name: 'prompts',
      beforeDispatch(inference) {
        if (inference.kind !== 'chat') return;
        const prompt = prompts.of(inference.route);
        if (!prompt) return;
        // The model's variables win; a built-in is worked out only when a template names it.
        let builtins: BuiltinInput | undefined;
        const lookup = (name: string) =>
          Object.hasOwn(prompt.variables, name)
            ? prompt.variables[name]
            : builtinVariable(name, (builtins ??= { model: inference.route.slug, tenantId: inference.caller.tenantId, userId: inference.caller.userId, requestId: inference.requestId, now: new Date() }));
        const render = (template: CompiledTemplate | undefined) => (template === undefined ? undefined : renderCompiled(template, lookup));
        inference.request.messages = applySystemPrompt(inference.request.messages, {
          safetyPrefix: render(prompt.safetyPrefix),
          persona: render(prompt.persona),
          mode: prompt.mode,
          separator: config.separator,
        });
        inference.state.set('prompts', prompt.applied);
      },
    });
  },
});
