/**
 * @module prompt-settings
 * The effective prompt settings of a model: its routing metadata overlaid by this module's
 * config for the slug, with global variables below per-model ones.
 */
import type { ModelRoute } from '@scaigrid/plugin-routing';
import type { ModelPromptConfig, PromptMode, PromptsConfig } from './config.js';

export interface PromptSettings {
  persona?: string;
  safetyPrefix?: string;
  variables: Record<string, string>;
  mode: PromptMode;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export function promptSettings(route: Pick<ModelRoute, 'slug' | 'metadata'>, config: PromptsConfig): PromptSettings | undefined {
  const meta = route.metadata ?? {};
  const own: ModelPromptConfig = config.models[route.slug] ?? {};
  const persona = stringOf(own.persona) ?? stringOf(meta.persona);
  const safetyPrefix = stringOf(own.safetyPrefix) ?? stringOf(meta.safetyPrefix);
  if (!persona && !safetyPrefix) return undefined;
  const metaMode = meta.promptMode === 'replace' || meta.promptMode === 'prepend' ? meta.promptMode : undefined;
  return {
    persona,
    safetyPrefix,
    variables: { ...config.variables, ...stringRecord(meta.promptVariables), ...own.variables },
    mode: own.mode ?? metaMode ?? 'prepend',
  };
}
