/**
 * @module http/response-headers
 * Headers a middleware adds to whatever response goes out: the request id, the rate-limit
 * figures. Served over node:http they are set on Node's `ServerResponse`, which merges them into
 * the head when the response is written (what the handler's response sets itself wins, as a
 * later `c.header` would). Set on the web `Response` (`c.res.headers`) instead, they turned
 * @hono/node-server's plain header object into a fetch `Headers` on every request, which it then
 * validated, sorted and copied back into an object to write: ~5 % of the allocations of a whole
 * answer, and the CPU profile's `toSortedArray` and `buildOutgoingHttpHeaders`. Anywhere else
 * (`app.request()` in tests, another runtime) they go on `c.res`.
 */
import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';

/** The node:http response behind `c`, when the kernel's server is serving it. */
export function nodeResponseOf(c: Context): ServerResponse | undefined {
  const out = (c.env as { outgoing?: unknown } | undefined)?.outgoing;
  return out && typeof (out as ServerResponse).writeHead === 'function' ? (out as ServerResponse) : undefined;
}

/**
 * Adds `headers` to the response of `c`, whichever response object it ends up being.
 * @example setResponseHeaders(c, { 'X-Request-Id': id });
 */
export function setResponseHeaders(c: Context, headers: Readonly<Record<string, string>>): void {
  const out = nodeResponseOf(c);
  if (out && !out.headersSent) {
    for (const name in headers) out.setHeader(name, headers[name]!);
    return;
  }
  try {
    for (const name in headers) c.res.headers.set(name, headers[name]!);
  } catch {
    // A response passed through from fetch has immutable headers; copy it once.
    c.res = new Response(c.res.body, c.res);
    for (const name in headers) c.res.headers.set(name, headers[name]!);
  }
}
