/**
 * @module http/request-id
 * Accepts the caller's `X-Request-Id` (when it is sane) or makes one, stores it on the
 * context and echoes it on every response, errors included.
 */
import type { MiddlewareHandler } from 'hono';
import { newUlid } from '../ids.js';
import { requestHeader } from './request-headers.js';
import { nodeResponseOf, setResponseHeaders } from './response-headers.js';

declare module 'hono' {
  interface ContextVariableMap {
    requestId: string;
  }
}

const ACCEPTED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A new `req_<ULID>` id. @example newRequestId() // 'req_01J9Z…' */
export function newRequestId(): string {
  return `req_${newUlid()}`;
}

/** Not async: on node:http it has nothing to do after `next()`, so it makes no promise of its own. */
export function requestIdMiddleware(): MiddlewareHandler {
  return (c, next) => {
    const incoming = requestHeader(c, 'x-request-id');
    const id = incoming && ACCEPTED_ID.test(incoming) ? incoming : newRequestId();
    c.set('requestId', id);
    // On Node's response the id survives a handler replacing the response object; elsewhere
    // it goes on whichever response the handlers (or the error handler) left.
    if (nodeResponseOf(c)) {
      setResponseHeaders(c, { 'X-Request-Id': id });
      return next();
    }
    return next().then(() => setResponseHeaders(c, { 'X-Request-Id': id }));
  };
}
