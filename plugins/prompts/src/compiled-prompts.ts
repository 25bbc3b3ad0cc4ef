/**
 * @module compiled-prompts
 * A model's prompt settings worked out once: this module's config and the model's routing
 * metadata merged, and its templates compiled. Kept per model until its metadata object
 * changes (routing reloaded its catalog). The request path used to merge the settings, parse
 * both templates and format the date on every request: ~3 % of a whole answer's CPU in the
 * bench's profile, for text that only changes with the configuration.
 */
import type { ModelRoute } from '@scaigrid/plugin-routing';
import type { PromptMode, PromptsConfig } from './config.js';
import { promptSettings } from './prompt-settings.js';
import { compileTemplate, type CompiledTemplate } from './prompt-template.js';

/** What the hook records in `ctx.state` under `prompts`, for audit. */
export interface PromptsApplied {
  persona: boolean;
  safetyPrefix: boolean;
  mode: PromptMode;
}

export interface CompiledPrompt {
  safetyPrefix?: CompiledTemplate;
  persona?: CompiledTemplate;
  /** The model's own variables (config and metadata), which win over the built-in ones. */
  variables: Readonly<Record<string, string>>;
  mode: PromptMode;
  /** The same frozen record for every request of the model. */
  applied: Readonly<PromptsApplied>;
}

export class CompiledPrompts {
  /** One entry per model that was asked for; `metadata` is the object it was compiled from. */
  private readonly bySlug = new Map<string, { metadata: unknown; prompt: CompiledPrompt | undefined }>();

  constructor(private readonly config: PromptsConfig) {}

  /** The model's compiled prompt, or undefined when it has no persona and no safety prefix. */
  of(route: Pick<ModelRoute, 'slug' | 'metadata'>): CompiledPrompt | undefined {
    const cached = this.bySlug.get(route.slug);
    if (cached && cached.metadata === route.metadata) return cached.prompt;
    const settings = promptSettings(route, this.config);
    const prompt = settings && {
      safetyPrefix: settings.safetyPrefix === undefined ? undefined : compileTemplate(settings.safetyPrefix),
      persona: settings.persona === undefined ? undefined : compileTemplate(settings.persona),
      variables: settings.variables,
      mode: settings.mode,
      applied: Object.freeze({ persona: !!settings.persona, safetyPrefix: !!settings.safetyPrefix, mode: settings.mode }),
    };
    this.bySlug.set(route.slug, { metadata: route.metadata, prompt });
    return prompt;
  }
}
