/**
 * @module bench/floor-proxy
 * The floor of the benchmark: what a proxy hop costs on this machine with no gateway logic at
 * all, built from the same parts ScaiGrid's request path is (Hono on @hono/node-server, undici
 * with a keep-alive pool to the upstream). It forwards `POST /oai/v1/chat/completions` to the
 * mock as it came and streams the answer back: no auth, limits, routing, accounting or mapping.
 * ScaiGrid's CPU per request next to this one's says how much of it is the hop itself.
 *
 * Plain JS run by node without tsx, like the bundled gateway (no loader thread).
 *
 * @example
 * node bench/floor-proxy.mjs http://127.0.0.1:4010   # prints "listening <port>"
 */
import { Readable } from 'node:stream';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Pool } from 'undici';

const upstream = new URL(process.argv[2] ?? 'http://127.0.0.1:4010');
const pool = new Pool(upstream.origin, { connections: 256 });
const app = new Hono();

app.post('/oai/v1/chat/completions', async (c) => {
  const answer = await pool.request({
    path: '/v1/chat/completions',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: await c.req.text(),
    // A client that leaves aborts the upstream call, as ScaiGrid does.
    signal: c.req.raw.signal,
  });
  const type = answer.headers['content-type'];
  const init = { status: answer.statusCode, headers: typeof type === 'string' ? { 'content-type': type } : {} };
  // A whole answer is read and sent as one string, as ScaiGrid sends its JSON: a string body is
  // @hono/node-server's fast path, where a web stream of one chunk costs its machinery for nothing.
  if (typeof type === 'string' && type.startsWith('application/json')) return new Response(await answer.body.text(), init);
  return new Response(Readable.toWeb(answer.body), init);
});

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => process.stdout.write(`listening ${info.port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
