/**
 * @module http/node-body
 * Long bodies (server-sent events) written straight to Node's `ServerResponse` instead of
 * through a web `ReadableStream`. A streamed answer of a few dozen events otherwise pays, per
 * event, a stream read, promises and a socket write, plus the stream's construction; written
 * directly, the events produced in one turn of the event loop can leave in one write.
 *
 * A handler returns `nodeBodyResponse(c, writer, init, fallback)`: an ordinary `Response`
 * (status and headers) that middlewares see and change as usual. Served over node:http by the
 * kernel, the final status and headers are sent, then `writer` writes the body. Anywhere else
 * (`app.request()` in tests, another runtime) the response carries `fallback()` as its web
 * stream body instead, so the writer and the fallback must produce the same bytes.
 */
import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { nodeResponseOf } from './response-headers.js';

const NODE_BODY = Symbol.for('scaigrid.http.nodeBody');
/** Marks the response the writer belongs to; never sent (a middleware may replace the response, e.g. by an error). */
const MARKER = 'x-scaigrid-node-body';

/**
 * Writes the body and ends the response; resolves when done. It must stop when `out` closes
 * early (the client went away): `out.destroyed` turns true and writes are dropped.
 */
export type NodeBodyWriter = (out: ServerResponse) => Promise<void>;

type WithWriter = ServerResponse & { [NODE_BODY]?: NodeBodyWriter };

/**
 * @example
 * return nodeBodyResponse(c, (out) => writeEventsTo(out), { status: 200, headers }, () => webStreamOfEvents());
 */
export function nodeBodyResponse(
  c: Context,
  writer: NodeBodyWriter,
  init: { status?: number; headers?: Record<string, string> },
  fallback: () => ReadableStream<Uint8Array>,
): Response {
  const out = nodeResponseOf(c) as WithWriter | undefined;
  if (!out) return new Response(fallback(), init);
  out[NODE_BODY] = writer;
  return new Response(null, { status: init.status ?? 200, headers: { ...init.headers, [MARKER]: '1' } });
}

type Fetch = (request: Request, env: { outgoing?: ServerResponse }) => Response | Promise<Response>;

/** Wraps the app's fetch for `@hono/node-server`: responses with a node body are written here. */
export function serveNodeBodies<F extends Fetch>(fetch: F): F {
  const finish = async (response: Response, out: WithWriter): Promise<Response> => {
    const writer = out[NODE_BODY];
    out[NODE_BODY] = undefined;
    if (!writer || out.headersSent || !response.headers.has(MARKER)) return response;
    const headers: Record<string, string | string[]> = {};
    response.headers.forEach((value, name) => {
      if (name !== 'set-cookie' && name !== MARKER) headers[name] = value;
    });
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) headers['set-cookie'] = cookies;
    out.writeHead(response.status, headers);
    try {
      await writer(out);
    } catch (err) {
      // The status is gone; all that is left is to cut the connection so the client sees a failure.
      out.destroy(err as Error);
    }
    return RESPONSE_ALREADY_SENT;
  };
  return ((request, env) => {
    const response = fetch(request, env);
    const out = env?.outgoing as WithWriter | undefined;
    if (!out) return response;
    if (response instanceof Promise) return response.then((r) => (out[NODE_BODY] ? finish(r, out) : r));
    return out[NODE_BODY] ? finish(response, out) : response;
  }) as F;
}
