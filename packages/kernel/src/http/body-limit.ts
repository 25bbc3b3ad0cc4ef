/**
 * @module http/body-limit
 * The request body size limit. A request that declares its size (`Content-Length`, no
 * `Transfer-Encoding`) is decided from that header alone; only chunked bodies go through
 * hono's bodyLimit, which counts while it buffers. Hono's middleware reads `c.req.raw.body`
 * first, which makes @hono/node-server build a full web `Request` with a web-stream body for
 * every request — on the gateway's hot path that was a large share of the CPU per request,
 * and it also pushed body reads off node-server's direct fast path.
 */
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { GatewayError } from '../errors.js';
import { requestHeader } from './request-headers.js';

export function bodyLimitMiddleware(maxSize: number): MiddlewareHandler {
  const tooLarge = () => new GatewayError('PAYLOAD_TOO_LARGE', `Request body is larger than ${maxSize} bytes.`);
  const chunked = bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge();
    },
  });
  // Not async: with a declared length it only checks and hands `next()`'s promise on.
  return (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    const length = requestHeader(c, 'content-length');
    if (length !== undefined && requestHeader(c, 'transfer-encoding') === undefined) {
      if (Number.parseInt(length, 10) > maxSize) throw tooLarge();
      return next();
    }
    return chunked(c, next);
  };
}
