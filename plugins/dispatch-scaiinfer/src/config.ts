/**
 * @module config
 * The `dispatch-scaiinfer` config section: which provider instance the nodes' backends
 * belong to. That provider (kind `scaiinfer`) holds what all nodes share — the API key, the
 * timeout; each node brings only its URL.
 */
import { z } from 'zod';

export const dispatchScaiInferConfig = z
  .object({
    providerId: z
      .string()
      .min(1)
      .max(64)
      .default('scaiinfer')
      .describe('Provider instance (kind scaiinfer, configured under dispatch.providers) that node backends name.'),
  })
  .prefault({});

export type DispatchScaiInferConfig = z.output<typeof dispatchScaiInferConfig>;
