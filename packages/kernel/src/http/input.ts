/**
 * @module http/input
 * Validated input for module routes: a JSON body or query string checked against a zod
 * schema, or a 400 VALIDATION_ERROR that names every bad field (unknown fields included),
 * raised before the handler changes anything. Every module's API answers bad input the same
 * way, so this lives in the kernel rather than in each plugin.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { GatewayError } from '../errors.js';

export interface InputIssue {
  /** Dotted path of the field, or `(body)` for the whole input. */
  field: string;
  message: string;
}

/** One issue per bad field; each unknown key of a strict object is its own issue. */
export function inputIssues(error: z.ZodError): InputIssue[] {
  return error.issues.flatMap((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    return keys.map((key) => ({
      field: [...issue.path, ...(key === undefined ? [] : [key])].map(String).join('.') || '(body)',
      message: key === undefined ? issue.message : 'unknown field',
    }));
  });
}

/**
 * @example throw validationError(result.error, 'request body')
 * // [VALIDATION_ERROR] Invalid request body: 'name': Required.
 */
export function validationError(error: z.ZodError | readonly InputIssue[], what: string): GatewayError {
  const issues = Array.isArray(error) ? [...error] : inputIssues(error as z.ZodError);
  const message = issues.map((i) => `'${i.field}': ${i.message}`).join('; ');
  return new GatewayError('VALIDATION_ERROR', `Invalid ${what}: ${message}.`, { details: { issues } });
}

/** `value` parsed by `schema`, or a VALIDATION_ERROR naming each bad field of `what`. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, what);
  return result.data;
}

/** The request's JSON body, unvalidated, or VALIDATION_ERROR when it is not JSON. */
export async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new GatewayError('VALIDATION_ERROR', "Invalid request body: '(body)': expected JSON (Content-Type: application/json).");
  }
}

/**
 * The JSON body parsed by `schema`.
 * @example const body = await readBody(c, z.strictObject({ name: z.string() }));
 */
export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  return parseInput(schema, await readJson(c), 'request body');
}

/** The query string parsed by `schema` (use `z.coerce` for numbers). */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return parseInput(schema, c.req.query(), 'query');
}
