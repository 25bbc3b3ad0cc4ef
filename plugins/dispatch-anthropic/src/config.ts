/**
 * @module config
 * The `dispatch-anthropic` config section: defaults for every `anthropic` provider. Provider
 * options `anthropicVersion`, `maxTokens` and `beta` override them per provider (or backend).
 */
import { z } from 'zod';

export const dispatchAnthropicConfig = z
  .object({
    defaultMaxTokens: z
      .number()
      .int()
      .positive()
      .default(4096)
      .describe('max_tokens sent when the request sets none; the Messages API requires the field.'),
    anthropicVersion: z.string().min(1).default('2023-06-01').describe('Value of the anthropic-version header.'),
  })
  .default({ defaultMaxTokens: 4096, anthropicVersion: '2023-06-01' });

export type DispatchAnthropicConfig = z.output<typeof dispatchAnthropicConfig>;
