/**
 * @module routes/http-helpers
 * What the accounting routes share: zod-validated JSON bodies and query strings (400
 * VALIDATION_ERROR naming each bad field, before anything changes), time parameters as ISO
 * 8601 or epoch ms, and the 404 that hides whether an invisible thing exists.
 */
import { GatewayError } from '@scaigrid/kernel';
import { z } from 'zod';

export { readBody, readQuery } from '@scaigrid/kernel';

/** An instant as ISO 8601 (`2025-03-01T00:00:00Z`) or epoch milliseconds, parsed to epoch ms. */
export const instantParam = z
  .string()
  .min(1)
  .transform((value, ctx) => {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'use an ISO 8601 time (2025-03-01T00:00:00Z) or epoch milliseconds' });
      return z.NEVER;
    }
    return ms;
  });

export const notFound = (kind: string, id: string) => new GatewayError('NOT_FOUND', `${kind} '${id}' not found.`);

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
