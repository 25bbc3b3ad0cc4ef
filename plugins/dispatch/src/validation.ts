/**
 * @module validation
 * Zod input to the gateway's VALIDATION_ERROR (400) naming the field, so a bad admin body
 * or seed entry tells the integrator exactly what to fix.
 */
import { GatewayError } from '@scaigrid/kernel';
import type { Context } from 'hono';
import type { z } from 'zod';

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `'${path}': ${issue.message}` : issue.message;
  });
  throw new GatewayError('VALIDATION_ERROR', `Invalid ${what}: ${issues.join('; ')}`, {
    details: { issues: result.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) },
  });
}

/** The request's JSON body, or VALIDATION_ERROR when it is not JSON. */
export async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new GatewayError('VALIDATION_ERROR', 'The request body must be a JSON object (Content-Type: application/json).');
  }
}
