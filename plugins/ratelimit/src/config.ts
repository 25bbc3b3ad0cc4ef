/**
 * @module config
 * The ratelimit plugin's configuration: which paths are limited, what happens when Redis is
 * unreachable, how much an instance may admit from memory (grants), and seed rules applied at
 * startup (created when missing, then owned by the admin API, so an operator's later edits
 * survive a restart).
 */
import { z } from 'zod';
import { LIMIT_SCOPES, limitValueProblems, limitValuesShape } from './limit-rule.js';

export const seedRuleSchema = z
  .strictObject({
    scope: z.enum(LIMIT_SCOPES).describe('Whose requests are counted together: one API key, user, tenant or partner.'),
    id: z.string().min(1).max(64).optional().describe('The subject id (a tenant may be given by slug); omit for the default of every subject of the scope.'),
    ...limitValuesShape,
  })
  .superRefine((rule, ctx) => {
    const values = {
      requestsPerMinute: rule.requestsPerMinute ?? null,
      requestsPerWindow: rule.requestsPerWindow ?? null,
      tokensPerMinute: rule.tokensPerMinute ?? null,
      tokensPerWindow: rule.tokensPerWindow ?? null,
      windowSeconds: rule.windowSeconds ?? null,
    };
    for (const [path, message] of limitValueProblems(values)) ctx.addIssue({ code: 'custom', path: [path], message });
  });

export const ratelimitConfigSchema = z.object({
  paths: z
    .array(z.string().regex(/^\//, 'a path pattern starting with /'))
    .default(['/oai/v1/*', '/v1/inference/*', '/anthropic/*'])
    .describe('Hono path patterns of the traffic that is limited (inference by default).'),
  failOpen: z
    .boolean()
    .default(true)
    .describe('When Redis cannot be reached: true serves the request unlimited (and logs), false answers 503.'),
  refreshSeconds: z
    .number()
    .int()
    .min(0)
    .default(300)
    .describe('Re-read the rules this often in case an invalidation broadcast was missed (0: only on broadcasts).'),
  grants: z
    .strictObject({
      share: z
        .number()
        .int()
        .min(0)
        .default(16)
        .describe('A grant (request units this instance may admit without asking Redis) takes at most 1/share of what is left of a limit; 0 turns grants off.'),
      max: z.number().int().min(0).default(100).describe('The most requests one instance holds in grants on one limit; 0 turns grants off (every request is checked in Redis).'),
    })
    .prefault({})
    .describe(
      'Local grants: units counted in Redis ahead of use, so most requests are admitted from memory and a limit is still never exceeded. Near a limit, an instance may refuse a request another instance\'s unused grant would have covered.',
    ),
  limits: z.array(seedRuleSchema).default([]).describe('Seed rules, created at startup when no rule exists for that scope and subject.'),
});

export type RatelimitConfig = z.output<typeof ratelimitConfigSchema>;
export type SeedRule = z.output<typeof seedRuleSchema>;
