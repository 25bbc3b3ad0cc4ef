/**
 * @module config
 * The hello module's config section (`config.hello` in the gateway's YAML).
 */
import { z } from 'zod';

export const helloConfigSchema = z.object({
  greeting: z.string().min(1).default('Hello').describe('Word put in front of the name.'),
  statsEveryMs: z.number().int().min(100).default(10_000).describe('How often the stats task counts greetings.'),
});

export type HelloConfig = z.output<typeof helloConfigSchema>;
