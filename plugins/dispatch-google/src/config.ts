/**
 * @module config
 * The `dispatch-google` config section: defaults for every `google` provider. The provider
 * (or backend) options `apiVersion`, `headers`, `safetySettings`, `rawJsonSchema` and
 * `embeddingTaskType` override them; see README.md.
 */
import { z } from 'zod';

export const dispatchGoogleConfig = z
  .object({
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .default('https://generativelanguage.googleapis.com')
      .describe('Gemini API base URL used when a google provider sets no baseUrl.'),
    apiVersion: z
      .string()
      .regex(/^v[0-9]+(alpha|beta)?[0-9]*$/, 'must look like v1beta or v1')
      .default('v1beta')
      .describe('API version path segment (v1beta has systemInstruction, tools and thinking).'),
  })
  .prefault({});

export type DispatchGoogleConfig = z.output<typeof dispatchGoogleConfig>;
