/**
 * @module config
 * The accounting plugin's config section: seed budgets (applied idempotently at start, upserted
 * by scope + subject + period + currency), how worst-case holds are sized, and how the usage
 * flusher batches records from Redis into the database.
 *
 * @example
 * accounting:
 *   budgets:
 *     - { scope: tenant, subject: acme, period: monthly, amount: "250.00", currency: USD }
 *   lease: { share: 16 }
 *   flush: { everyMs: 2000, batchSize: 500 }
 */
import { z } from 'zod';

export const BUDGET_SCOPES = ['key', 'user', 'tenant', 'partner'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export const BUDGET_PERIODS = ['daily', 'monthly', 'total'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** A decimal amount (`"12.50"`, up to six fraction digits) or integer micro-units. */
export const amountInput = z.union([z.string().regex(/^\d{1,9}(\.\d{1,6})?$/, 'a decimal with at most 6 fraction digits, e.g. "12.50"'), z.number().nonnegative()]);
export const currencyField = z.string().regex(/^[A-Z][A-Z0-9]{2,7}$/, 'an upper-case currency code such as USD');

export const seedBudgetSchema = z.strictObject({
  scope: z.enum(BUDGET_SCOPES).describe('Whose spend the budget limits.'),
  subject: z.string().min(1).max(64).describe('The key, user or partner id; a tenant id or slug.'),
  period: z.enum(BUDGET_PERIODS).describe('daily and monthly reset at UTC boundaries; total never resets.'),
  amount: amountInput.optional().describe('Decimal amount in the currency.'),
  amountMicros: z.number().int().nonnegative().optional().describe('The amount in integer micro-units (alternative to amount).'),
  currency: currencyField.default('USD'),
  tenant: z.string().min(1).optional().describe('Owner tenant (id or slug) of a key/user budget, so that tenant admins see it.'),
});

export type SeedBudget = z.output<typeof seedBudgetSchema>;

export const accountingConfigSchema = z.object({
  budgets: z.array(seedBudgetSchema).default([]).describe('Budgets to create or update at start.'),
  hold: z
    .object({
      ttlSeconds: z.number().int().min(10).default(900).describe("How long a hold lives when its request never settles (a crashed instance's hold is released then)."),
      defaultMaxOutputTokens: z.number().int().positive().default(4096).describe('Output tokens assumed when neither the request (max_tokens) nor the backend (context window) bounds them.'),
      charsPerToken: z.number().positive().default(3).describe('Prompt size estimate for the hold; lower is more conservative.'),
      tokensPerMessage: z.number().int().min(0).default(8).describe('Framing tokens per message added to the prompt estimate.'),
    })
    .prefault({}),
  lease: z
    .object({
      share: z
        .number()
        .int()
        .min(0)
        .default(16)
        .describe('Each instance sets aside credit to admit requests without a Redis round trip, at most 1/share of what is free in a budget per grant; 0 turns this off (every request places its own hold in Redis).'),
      requests: z.number().int().min(1).default(16).describe('Credit an instance keeps, in worst cases of the requests it serves.'),
      idleSeconds: z.number().int().min(1).default(30).describe('Credit no request used for this long is handed back to the budget.'),
    })
    .prefault({}),
  flush: z
    .object({
      everyMs: z.number().int().min(100).default(2000).describe('How often the worker task moves usage records from Redis to the database.'),
      batchSize: z.number().int().min(1).max(5000).default(500).describe('Records per database write.'),
      maxBatchesPerTick: z.number().int().min(1).default(20).describe('Batches one tick flushes at most.'),
      staleBatchSeconds: z.number().min(0).default(60).describe('A claimed batch older than this is taken over (its flusher crashed); re-writing is harmless.'),
    })
    .prefault({}),
  // The marker only has to outlive a retried settle (the same process, seconds later). It costs one
  // Redis key per request for its whole life: at 1,000 req/s, 24 hours meant ~86 M keys.
  settledMarkerTtlSeconds: z.number().int().min(60).default(900).describe('How long Redis remembers a settled request id (guards against settling twice when a settle is retried): a member of a set per second, ~80 bytes per request for this long.'),
});

export type AccountingConfig = z.output<typeof accountingConfigSchema>;
