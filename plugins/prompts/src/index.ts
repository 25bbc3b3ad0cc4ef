/**
 * @module @scaigrid/plugin-prompts
 * Persona templates and safety prefixes per model, applied to the system prompt in the
 * inference pipeline's `beforeDispatch` hook. Removing this module removes the rewriting and
 * nothing else.
 */
import { defineModule } from '@scaigrid/kernel';
import { inferenceHooksRef } from '@scaigrid/plugin-inference';
import { promptsConfigSchema } from './config.js';
import { promptSettings } from './prompt-settings.js';
import { builtinVariables, hasVariables, renderTemplate } from './prompt-template.js';
import { applySystemPrompt } from './system-prompt.js';

export * from './config.js';
export { renderTemplate, builtinVariables } from './prompt-template.js';
export { applySystemPrompt } from './system-prompt.js';

/** What the hook records in `ctx.state` under `prompts`, for audit. */
export interface PromptsApplied {
  persona: boolean;
  safetyPrefix: boolean;
  mode: 'prepend' | 'replace';
}

export default defineModule({
  id: 'prompts',
  version: '0.1.0',
  dependsOn: ['inference'],
  optionalDependsOn: ['routing'],
  config: promptsConfigSchema,
  setup(ctx) {
    const config = ctx.config;
    ctx.use(inferenceHooksRef).register({
      name: 'prompts',
      beforeDispatch(inference) {
        if (inference.kind !== 'chat') return;
        const settings = promptSettings(inference.route, config);
        if (!settings) return;
        // The variables are worked out per request (date, request id) only for a template that uses them.
        let variables: Record<string, string> | undefined;
        const render = (template: string | undefined) => {
          if (!hasVariables(template)) return template;
          variables ??= {
            ...builtinVariables({
              model: inference.route.slug,
              tenantId: inference.caller.tenantId,
              userId: inference.caller.userId,
              requestId: inference.requestId,
              now: new Date(),
            }),
            ...settings.variables,
          };
          return renderTemplate(template, variables);
        };
        inference.request.messages = applySystemPrompt(inference.request.messages, {
          safetyPrefix: render(settings.safetyPrefix),
          persona: render(settings.persona),
          mode: settings.mode,
          separator: config.separator,
        });
        const applied: PromptsApplied = { persona: !!settings.persona, safetyPrefix: !!settings.safetyPrefix, mode: settings.mode };
        inference.state.set('prompts', applied);
      },
    });
  },
});
