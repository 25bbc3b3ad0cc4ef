/**
 * @module config
 * The inference module's config section. Every inbound API is on by default; a deployment
 * that wants only some of them (say, only the OpenAI-compatible surface) turns the others off.
 */
import { z } from 'zod';

export const inferenceConfigSchema = z.object({
  openaiApi: z.boolean().default(true).describe('Serve the OpenAI-compatible API at /oai/v1 (chat completions, embeddings, models).'),
  nativeApi: z.boolean().default(true).describe('Serve the native API at /v1/inference (chat, models).'),
  anthropicApi: z.boolean().default(true).describe("Serve Anthropic's Messages API at /anthropic/v1 (messages, count_tokens, models), over any backend."),
});

export type InferenceConfig = z.output<typeof inferenceConfigSchema>;
