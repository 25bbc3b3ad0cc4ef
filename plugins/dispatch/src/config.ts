/**
 * @module config
 * The dispatch plugin's config section: provider instances to seed (upserted by id at every
 * start), the circuit breaker's thresholds and the default per-attempt timeout.
 *
 * @example
 * dispatch:
 *   providers:
 *     - { id: openai, kind: openai, baseUrl: https://api.openai.com/v1, apiKeyEnv: OPENAI_API_KEY, timeoutMs: 60000 }
 *   breaker: { failureThreshold: 5, cooldownMs: 30000 }
 */
import { z } from 'zod';
import { providerInputSchema } from './provider-schema.js';

export const dispatchConfigSchema = z.object({
  providers: z.array(providerInputSchema).default([]).describe('Provider instances to create or update at start (by id).'),
  defaultTimeoutMs: z.number().int().min(100).default(120_000).describe('Per-attempt timeout when a provider sets none (streams: until the first chunk, then between chunks).'),
  breaker: z
    .object({
      failureThreshold: z.number().int().min(1).default(5).describe('Consecutive retryable failures that open a backend breaker.'),
      cooldownMs: z.number().int().min(0).default(30_000).describe('How long an open breaker rejects before letting one trial through.'),
    })
    .prefault({})
    .describe('Circuit breaker per backend (per instance).'),
});

export type DispatchConfig = z.output<typeof dispatchConfigSchema>;
