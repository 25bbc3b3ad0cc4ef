/**
 * @module config
 * The `dispatch-openai` config section. Provider instances (base URL, key, options) are
 * seeded elsewhere; this only holds defaults that apply to every `openai` provider.
 */
import { z } from 'zod';

export const dispatchOpenAIConfig = z
  .object({
    maxTokensField: z
      .enum(['max_completion_tokens', 'max_tokens'])
      .default('max_completion_tokens')
      .describe(
        'Request field for the output-token limit. OpenAI deprecated max_tokens (reasoning models reject it); a provider or backend option `maxTokensField` overrides this.',
      ),
  })
  .default({ maxTokensField: 'max_completion_tokens' });

export type DispatchOpenAIConfig = z.output<typeof dispatchOpenAIConfig>;
