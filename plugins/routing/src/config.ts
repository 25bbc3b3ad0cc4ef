/**
 * @module config
 * The routing plugin's config section: the declarative model seed list, applied idempotently
 * at every start (upsert by slug; models created through the admin API are left alone).
 *
 * @example
 * routing:
 *   models:
 *     - slug: echo
 *       backends: [{ providerId: mock, upstreamModel: echo }]
 */
import { z } from 'zod';
import { modelInputSchema } from './model-schema.js';

export const routingConfigSchema = z.object({
  models: z.array(modelInputSchema).default([]).describe('Models to create or update at start (by slug).'),
});

export type RoutingConfig = z.output<typeof routingConfigSchema>;
