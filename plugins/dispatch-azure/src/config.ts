/**
 * @module config
 * The `dispatch-azure` config section: defaults for every `azure` provider. Deployment,
 * api-version and the auth mode can also be set per provider or per backend (options).
 */
import { z } from 'zod';

export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

export const dispatchAzureConfig = z
  .object({
    apiVersion: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, "must look like '2024-10-21' or '2025-04-01-preview'")
      .default(AZURE_DEFAULT_API_VERSION)
      .describe('Default `api-version` query parameter (the latest GA data-plane version); a provider or backend option `apiVersion` overrides it.'),
  })
  .prefault({});

export type DispatchAzureConfig = z.output<typeof dispatchAzureConfig>;
