/**
 * @module http/request-headers
 * Request headers read without a fetch `Headers`. On node:http, @hono/node-server builds
 * `c.req.raw.headers` (which `c.req.header()` reads) the first time anyone asks: a web
 * `Headers` made from the raw header list, each name and value validated, ~1.4 KB of the
 * allocations of a whole answer (V8's sampling heap profiler, 16 connections). Node has
 * parsed them into a plain object already (the adapter reads the host from it), so the
 * middlewares every request runs read that instead. Anywhere else (`app.request()` in tests,
 * another runtime) it is `c.req.header()`.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';

/**
 * The value of the request header `name` (lower case), or undefined. A header sent more than
 * once reads as Node joins it: with ", " for most, the first value for those that may appear
 * only once (authorization, content-length, content-type…; see `message.headers` in Node's docs).
 * @example const token = requestHeader(c, 'authorization');
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming?.headers === undefined) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
