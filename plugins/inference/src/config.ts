/**
 * @module config
 * The inference module's config section. Both inbound APIs are on by default; a deployment
 * that wants only the OpenAI-compatible surface (or only the native one) turns the other off.
 */
import { z } from 'zod';

export const inferenceConfigSchema = z.object({
  openaiApi: z.boolean().default(true).describe('Serve the OpenAI-compatible API at /oai/v1 (chat completions, embeddings, models).'),
  nativeApi: z.boolean().default(true).describe('Serve the native API at /v1/inference (chat, models).'),
});

export type InferenceConfig = z.output<typeof inferenceConfigSchema>;
