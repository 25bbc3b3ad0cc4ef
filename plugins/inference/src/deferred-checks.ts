/**
 * @module deferred-checks
 * Admission checks a middleware starts but does not wait for. A rate-limit check and a budget
 * hold are each one Redis round trip; done one after the other, a request waits for both
 * before it goes upstream. So the inference routes that run the pipeline open a list on the
 * Hono context (in the `request` phase), a later middleware that finds it pushes its pending
 * check there instead of awaiting it, and the pipeline awaits every pending check together
 * with the `admit` hooks, before anything is sent upstream: one round trip of waiting.
 *
 * A check refuses by rejecting (e.g. with a RATE_LIMITED GatewayError). Where no list is open
 * (other paths, another handler), `deferCheck` returns false and the middleware must await
 * its check itself, as it would without inference.
 */
import type { Context, MiddlewareHandler } from 'hono';

declare module 'hono' {
  interface ContextVariableMap {
    'inference.deferredChecks'?: Promise<void>[];
  }
}

const KEY = 'inference.deferredChecks';

/** The paths under each inbound API whose POST handlers run the pipeline (and so its checks). */
export const PIPELINE_ENDPOINTS = {
  openai: ['/chat/completions', '/embeddings'],
  native: ['/chat'],
  anthropic: ['/messages'],
} as const;

/** The `request`-phase middleware that opens the list for a pipeline endpoint. */
export function openDeferredChecks(): MiddlewareHandler {
  return (c, next) => {
    if (c.req.method === 'POST') c.set(KEY, []);
    return next();
  };
}

/**
 * Hands `check` to the pipeline when this request runs it; false when it does not (await it yourself).
 * @example if (!deferCheck(c, verdict)) await verdict;
 */
export function deferCheck(c: Context, check: Promise<void>): boolean {
  const list = c.get(KEY);
  if (!list) return false;
  // Handled from now on: a request that fails before the pipeline (say, an invalid body) never
  // awaits it, and an unawaited rejection must not take the process down.
  check.catch(() => undefined);
  list.push(check);
  return true;
}

/** The checks deferred to this request's pipeline (empty when none). */
export function deferredChecks(c: Context): readonly Promise<void>[] {
  return c.get(KEY) ?? [];
}
