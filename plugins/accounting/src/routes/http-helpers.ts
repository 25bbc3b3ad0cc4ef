/**
 * @module routes/http-helpers
 * What the accounting routes share: zod-validated JSON bodies and query strings (400
 * VALIDATION_ERROR naming each bad field, before anything changes), time parameters as ISO
 * 8601 or epoch ms, and the 404 that hides whether an invisible thing exists.
 */
import type { Context } from 'hono';
import { GatewayError } from '@scaigrid/kernel';
import { z } from 'zod';

function validationError(error: z.ZodError, what: string): GatewayError {
  const issues = error.issues.flatMap((issue) => {
    const extra = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    return extra.map((key) => ({
      field: [...issue.path, ...(key === undefined ? [] : [key])].map(String).join('.') || '(body)',
      message: key === undefined ? issue.message : 'unknown field',
    }));
  });
  return new GatewayError('VALIDATION_ERROR', `Invalid ${what}: ${issues.map((i) => `'${i.field}': ${i.message}`).join('; ')}.`, { details: { issues } });
}

export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new GatewayError('VALIDATION_ERROR', "Invalid request body: '(body)': expected a JSON object (Content-Type: application/json).");
  }
  const result = schema.safeParse(raw);
  if (!result.success) throw validationError(result.error, 'request body');
  return result.data;
}

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) throw validationError(result.error, 'query');
  return result.data;
}

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
