/**
 * @module http-input
 * Zod-validated query strings for the audit API: bad input is a 400
 * VALIDATION_ERROR naming each field.
 */
import { GatewayError } from '@scaigrid/kernel';
import type { Context } from 'hono';
import type { z } from 'zod';

export function validationError(issues: { field: string; message: string }[], what: string): GatewayError {
  const message = issues.map((i) => `'${i.field}': ${i.message}`).join('; ');
  return new GatewayError('VALIDATION_ERROR', `Invalid ${what}: ${message}.`, { details: { issues } });
}

function fromZod(error: z.ZodError, what: string): GatewayError {
  const issues = error.issues.flatMap((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    return keys.map((key) => ({
      field: [...issue.path, ...(key === undefined ? [] : [key])].map(String).join('.') || '(body)',
      message: key === undefined ? issue.message : 'unknown field',
    }));
  });
  return validationError(issues, what);
}

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const result = schema.safeParse(c.req.query());
  if (!result.success) throw fromZod(result.error, 'query');
  return result.data;
}
