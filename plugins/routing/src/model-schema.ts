/**
 * @module model-schema
 * The one description of a model as integrators write it — in the config file's `models:`
 * seed list and in the admin API's bodies — so both accept exactly the same thing. Prices
 * are decimal strings (or plain numbers) parsed exactly into micro-units (see money.ts).
 */
import { z } from 'zod';
import { parsePriceMicros } from './money.js';

export const SLUG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

const price = z
  .union([z.string(), z.number()])
  .refine((v) => parsePriceMicros(v) !== undefined, {
    message: "must be a decimal with at most 6 fraction digits, e.g. '2.5' or '0.000150'",
  })
  .describe('Price per million tokens in the model currency, as an exact decimal string.');

export const backendInputSchema = z.object({
  id: z.string().min(1).max(26).optional().describe('Existing backend id, to update it in place.'),
  providerId: z.string().min(1).max(64).describe('Provider instance id (dispatch plugin), e.g. `openai`.'),
  upstreamModel: z.string().min(1).max(255).describe("The provider's model id, e.g. `gpt-4o-mini`."),
  priority: z.number().int().min(0).max(1_000_000).default(0).describe('Lower is tried first (priority policy).'),
  weight: z.number().int().min(0).max(1_000_000).default(1).describe('Share of traffic (weighted policy).'),
  inputPricePerMillion: price.default('0'),
  outputPricePerMillion: price.default('0'),
  contextWindow: z.number().int().positive().optional().describe('Context window in tokens.'),
  options: z.record(z.string(), z.unknown()).default({}).describe('Dispatcher options for this backend.'),
});

const modelFields = {
  slug: z.string().regex(SLUG_PATTERN, 'must be 1-128 of letters, digits, . _ : / - (starting with a letter or digit)').describe('Frontend model name clients send.'),
  kind: z.enum(['chat', 'embedding']).default('chat'),
  policy: z.enum(['weighted', 'priority']).default('priority').describe('How backends are ordered.'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like USD').default('USD'),
  metadata: z.record(z.string(), z.unknown()).default({}).describe('Free-form settings read by other modules (persona, safetyPrefix).'),
  visibility: z.array(z.string().min(1).max(64)).default([]).describe('Tenants (ids or slugs; stored as ids) allowed to use the model; empty means every tenant.'),
  backends: z.array(backendInputSchema).min(1, 'a model needs at least one backend').max(64),
};

export const modelInputSchema = z.object(modelFields).strict();

/** PATCH body: every field optional, no defaults (absent means unchanged). */
export const modelPatchSchema = z
  .object({
    kind: modelFields.kind.unwrap().optional(),
    policy: modelFields.policy.unwrap().optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like USD').optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    visibility: z.array(z.string().min(1).max(64)).optional(),
    backends: modelFields.backends.optional(),
  })
  .strict();

export type ModelInput = z.output<typeof modelInputSchema>;
export type BackendInput = z.output<typeof backendInputSchema>;
export type ModelPatch = z.output<typeof modelPatchSchema>;
