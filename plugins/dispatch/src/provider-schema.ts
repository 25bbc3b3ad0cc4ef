/**
 * @module provider-schema
 * A provider instance as integrators write it, in the config's `providers:` seed list and in
 * the admin API. Credentials are never written here: `apiKeyEnv` names the environment
 * variable that holds the key, so the secret stays out of the database, the config file and
 * every response.
 */
import { z } from 'zod';

export const PROVIDER_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const fields = {
  id: z.string().regex(PROVIDER_ID_PATTERN, 'must be 1-64 of lowercase letters, digits, . _ - (e.g. openai-eu)').describe('Provider instance id, referenced by model backends.'),
  kind: z.string().min(1).max(32).describe('Dispatcher kind: openai, anthropic, mock...'),
  baseUrl: z.union([z.url({ protocol: /^https?$/ }), z.literal('')]).default('').describe('API base URL; empty for dispatchers that need none (mock).'),
  apiKeyEnv: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name like OPENAI_API_KEY')
    .optional()
    .describe('Environment variable holding the API key.'),
  options: z.record(z.string(), z.unknown()).default({}).describe('Non-secret dispatcher options (api-version, region...).'),
  timeoutMs: z.number().int().min(100).max(3_600_000).optional().describe('Per-attempt timeout; default dispatch.defaultTimeoutMs.'),
};

export const providerInputSchema = z.object(fields).strict();

export const providerPatchSchema = z
  .object({
    kind: fields.kind.optional(),
    baseUrl: z.union([z.url({ protocol: /^https?$/ }), z.literal('')]).optional(),
    apiKeyEnv: fields.apiKeyEnv.nullable(),
    options: z.record(z.string(), z.unknown()).optional(),
    timeoutMs: fields.timeoutMs.nullable(),
  })
  .strict();

export type ProviderInput = z.output<typeof providerInputSchema>;
export type ProviderPatch = z.output<typeof providerPatchSchema>;
