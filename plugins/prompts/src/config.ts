/**
 * @module config
 * The prompts module's config: per frontend model slug, a persona template, a safety prefix,
 * template variables and how the persona meets the caller's own system prompt. A model's
 * routing metadata (`persona`, `safetyPrefix`, `promptVariables`, `promptMode`) supplies the
 * same settings; the config section wins field by field.
 */
import { z } from 'zod';

export const promptModeSchema = z
  .enum(['prepend', 'replace'])
  .describe("'prepend': persona goes before the caller's system prompt; 'replace': the caller's system messages are dropped.");

export const modelPromptSchema = z.object({
  persona: z.string().optional().describe('System prompt template, e.g. "You are {{name}}, assistant of {{tenant}}. Today is {{date}}."'),
  safetyPrefix: z.string().optional().describe('Placed before everything else in the system prompt; a caller cannot override it.'),
  variables: z.record(z.string(), z.string()).optional().describe('Values for {{variables}} in this model\'s templates.'),
  mode: promptModeSchema.optional(),
});

export const promptsConfigSchema = z.object({
  models: z.record(z.string(), modelPromptSchema).default({}).describe('Settings by frontend model slug.'),
  variables: z.record(z.string(), z.string()).default({}).describe('Values for {{variables}} in every model\'s templates.'),
  separator: z.string().default('\n\n').describe('Joins the safety prefix, the persona and the caller\'s system prompt.'),
});

export type PromptsConfig = z.output<typeof promptsConfigSchema>;
export type ModelPromptConfig = z.output<typeof modelPromptSchema>;
export type PromptMode = z.output<typeof promptModeSchema>;
