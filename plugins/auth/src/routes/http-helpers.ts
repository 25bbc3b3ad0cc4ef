/**
 * @module routes/http-helpers
 * What every admin route shares: zod-validated JSON bodies and query strings (400
 * VALIDATION_ERROR naming the field, before anything changes), cursor paging, and the 404
 * that hides whether an invisible thing exists.
 */
import type { Context } from 'hono';
import { GatewayError } from '@scaigrid/kernel';
import { z } from 'zod';
import type { Page } from '../store/store-base.js';

function describeIssues(error: z.ZodError): { message: string; issues: { field: string; message: string }[] } {
  const issues = error.issues.flatMap((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    return keys.map((key) => {
      const path = [...issue.path, ...(key === undefined ? [] : [key])].map(String).join('.');
      return { field: path || '(body)', message: key === undefined ? issue.message : 'unknown field' };
    });
  });
  const message = issues.map((i) => `'${i.field}': ${i.message}`).join('; ');
  return { message, issues };
}

export function validationError(error: z.ZodError, what: string): GatewayError {
  const { message, issues } = describeIssues(error);
  return new GatewayError('VALIDATION_ERROR', `Invalid ${what}: ${message}.`, { details: { issues } });
}

/** The parsed JSON body, or 400 VALIDATION_ERROR naming each bad field. */
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

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().min(1).max(64).optional(),
});

export function pageFrom(query: { limit: number; after?: string }): Page {
  return { limit: query.limit, after: query.after };
}

export const notFound = (kind: string, id: string) => new GatewayError('NOT_FOUND', `${kind} '${id}' not found.`);

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export const slugField = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use lower-case letters, digits, _ or - (max 64 characters)');
export const nameField = z.string().trim().min(1).max(200);
