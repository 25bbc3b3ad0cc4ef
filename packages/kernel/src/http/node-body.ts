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
 * The headers a node body's response is made with, marker included. @hono/node-server's
 * Response keeps its init headers as given until someone reads `response.headers`; if nobody
 * does, they are written as they are, instead of through a web `Headers` made from them,
 * validated, and copied back into an object (~3 % of a streamed answer's CPU in the bench's
 * profile). Whoever reads them (a middleware's `c.res.headers.set(…)`, a Response that copies
 * its headers when made) makes a `Headers` from this object by iterating it: that is how
 * `read` tells the response's own headers must be taken instead.
 */
class InitHeaders implements Iterable<[string, string]> {
  read = false;

  constructor(readonly headers: Record<string, string>) {}

  *[Symbol.iterator](): Iterator<[string, string]> {
    this.read = true;
    yield* Object.entries(this.headers);
    yield [MARKER, '1'];
  }
}

/** What a node body's response leaves on Node's response for `serveNodeBodies`. */
interface NodeBody {
  writer: NodeBodyWriter;
  response: Response;
  init: InitHeaders;
}

/**
 * Writes the body and ends the response; resolves when done. It must stop when `out` closes
 * early (the client went away): `out.destroyed` turns true and writes are dropped.
 */
export type NodeBodyWriter = (out: ServerResponse) => Promise<void>;

type WithWriter = ServerResponse & { [NODE_BODY]?: NodeBody };

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
  const headers = new InitHeaders(init.headers ?? {});
  // An iterable of pairs is a valid HeadersInit (WebIDL), which TypeScript's type leaves out.
  const response = new Response(null, { status: init.status ?? 200, headers: headers as unknown as HeadersInit });
  out[NODE_BODY] = { writer, response, init: headers };
  return response;
}

type Fetch = (request: Request, env: { outgoing?: ServerResponse }) => Response | Promise<Response>;

/** Wraps the app's fetch for `@hono/node-server`: responses with a node body are written here. */
export function serveNodeBodies<F extends Fetch>(fetch: F): F {
  const finish = async (response: Response, out: WithWriter): Promise<Response> => {
    const body = out[NODE_BODY];
    out[NODE_BODY] = undefined;
    if (!body || out.headersSent) return response;
    if (response === body.response && !body.init.read) {
      out.writeHead(response.status, body.init.headers);
    } else {
      if (!response.headers.has(MARKER)) return response;
      const headers: Record<string, string | string[]> = {};
      response.headers.forEach((value, name) => {
        if (name !== 'set-cookie' && name !== MARKER) headers[name] = value;
      });
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) headers['set-cookie'] = cookies;
      out.writeHead(response.status, headers);
    }
    try {
      await body.writer(out);
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
