/**
 * @module config
 * The `dispatch-qwen` config section: the region used by `qwen` providers that set neither a
 * `baseUrl` nor a `region` option.
 */
import { z } from 'zod';
import { QWEN_REGIONS } from './qwen-regions.js';

export const dispatchQwenConfig = z
  .object({
    region: z
      .enum(QWEN_REGIONS)
      .default('intl')
      .describe('Default DashScope region: intl (Singapore), cn (Beijing) or us (Virginia). API keys are per region.'),
  })
  .prefault({});

export type DispatchQwenConfig = z.output<typeof dispatchQwenConfig>;
