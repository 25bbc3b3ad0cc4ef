/**
 * @module config
 * The audit plugin's configuration: what is not audited (inference traffic by default), how
 * much of a request body is summarised, and how long rows are kept.
 */
import { z } from 'zod';

export const auditConfigSchema = z.object({
  excludePaths: z
    .array(z.string().regex(/^\//, 'a path prefix starting with /'))
    .default(['/oai/v1', '/v1/inference', '/anthropic'])
    .describe('Path prefixes that are never audited (model traffic is recorded by accounting as usage).'),
  retentionDays: z.number().int().min(1).default(90).describe('Rows older than this are deleted by the hourly retention task.'),
  retentionSchedule: z.string().default('17 * * * *').describe('Cron pattern of the retention task (default hourly).'),
  purgeBatchSize: z.number().int().min(1).max(10_000).default(500).describe('Rows deleted per statement; small transactions keep Galera happy.'),
  maxBodyBytes: z.number().int().min(0).default(16_384).describe('Bodies larger than this (or of unknown length) are not summarised.'),
  maxSummaryChars: z.number().int().min(64).default(2_000).describe('Longest stored summary; longer ones are cut down.'),
  maxQueuedRows: z.number().int().min(1).default(10_000).describe('Rows waiting for the database before new ones are dropped (and logged).'),
});

export type AuditConfig = z.output<typeof auditConfigSchema>;
