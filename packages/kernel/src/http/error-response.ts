/**
 * @module http/error-response
 * Turns anything thrown into the error envelope of DESIGN.md §7 — or into the shape a mount
 * asked for (OpenAI's on `/oai/v1`). Unknown errors become `INTERNAL` with no detail, so a
 * stack trace or secret never reaches a client.
 */
import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { ErrorRenderer } from '../context.js';
import { isGatewayError } from '../errors.js';

export interface ErrorRendererEntry {
  prefix: string;
  render: ErrorRenderer;
}

export function nativeErrorResponse(error: Parameters<ErrorRenderer>[0]): Response {
  const body: Record<string, unknown> = { code: error.code, message: error.message, request_id: error.requestId };
  if (error.details) body.details = error.details;
  return new Response(JSON.stringify({ error: body }), {
    status: error.status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...error.headers },
  });
}

export function createErrorHandler(renderers: readonly ErrorRendererEntry[], log: Logger) {
  // Longest prefix first so `/oai/v1/x` beats `/oai`.
  const sorted = [...renderers].sort((a, b) => b.prefix.length - a.prefix.length);
  return (err: unknown, c: Context): Response => {
    const requestId = c.get('requestId') ?? '';
    let normalized: Parameters<ErrorRenderer>[0];
    if (isGatewayError(err)) {
      normalized = { code: err.code, status: err.status, message: err.message, requestId, headers: err.headers, details: err.details };
      if (err.status >= 500) log.warn({ err, requestId, code: err.code }, 'request failed');
    } else {
      log.error({ err, requestId, path: c.req.path }, 'unhandled error');
      normalized = { code: 'INTERNAL', status: 500, message: 'Internal error; see the gateway log for this request id.', requestId, headers: {} };
    }
    const path = c.req.path;
    const renderer = sorted.find((r) => path === r.prefix || path.startsWith(r.prefix.endsWith('/') ? r.prefix : `${r.prefix}/`));
    const response = (renderer?.render ?? nativeErrorResponse)(normalized);
    response.headers.set('X-Request-Id', requestId);
    return response;
  };
}
