/**
 * requestHeader: a request header read from Node's parsed headers over node:http, without the
 * fetch `Headers` that `c.req.header()` makes @hono/node-server build, and from the web request
 * anywhere else (`app.request()`).
 */
import { request } from 'node:http';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requestHeader } from '../../src/index.js';
import { serveApp } from '../helpers/serve-app.js';

const NAMES = ['authorization', 'x-request-id', 'x-tag', 'content-length', 'x-absent'];

function app(): Hono {
  const hono = new Hono();
  hono.get('/kernel', (c) => c.json(Object.fromEntries(NAMES.map((n) => [n, requestHeader(c, n) ?? null]))));
  hono.get('/hono', (c) => c.json(Object.fromEntries(NAMES.map((n) => [n, c.req.header(n) ?? null]))));
  hono.get('/none', (c) => c.json({}));
  return hono;
}

/** Sends raw header lines (a repeated name stays repeated) and returns the JSON answer. */
function get(base: string, path: string, headers: [string, string][]): Promise<Record<string, string | null>> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    // Raw header lines leave out the Host header Node adds otherwise, which HTTP/1.1 requires.
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: [['Host', url.host], ...headers].flat() }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve(JSON.parse(text) as Record<string, string | null>));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Counts the fetch `Headers` made while `run` runs (@hono/node-server makes them through the global). */
async function headersMadeDuring(run: () => Promise<unknown>): Promise<number> {
  const Original = globalThis.Headers;
  let made = 0;
  globalThis.Headers = class extends Original {
    constructor(init?: HeadersInit) {
      super(init);
      made++;
    }
  };
  try {
    await run();
  } finally {
    globalThis.Headers = Original;
  }
  return made;
}

describe('requestHeader over node:http', () => {
  const served = serveApp(app);

  const sent: [string, string][] = [
    ['Authorization', 'Bearer sgk_abc'],
    ['X-Request-Id', 'req-1'],
    ['X-Tag', 'one'],
    ['X-Tag', 'two'],
  ];

  it('reads what c.req.header() reads, a repeated header joined with ", "', async () => {
    const kernel = await get(served.base(), '/kernel', sent);
    expect(kernel).toEqual({ authorization: 'Bearer sgk_abc', 'x-request-id': 'req-1', 'x-tag': 'one, two', 'content-length': null, 'x-absent': null });
    expect(await get(served.base(), '/hono', sent)).toEqual(kernel);
  });

  it('makes no fetch Headers for the request, where c.req.header() makes one', async () => {
    const none = await headersMadeDuring(() => get(served.base(), '/none', sent));
    const kernel = await headersMadeDuring(() => get(served.base(), '/kernel', sent));
    const hono = await headersMadeDuring(() => get(served.base(), '/hono', sent));
    expect(kernel).toBe(none);
    expect(hono).toBeGreaterThan(none);
  });
});

describe('requestHeader without node:http', () => {
  it('reads the web request', async () => {
    const res = await app().request('/kernel', { headers: { authorization: 'Bearer x', 'x-tag': 'a' } });
    expect(await res.json()).toEqual({ authorization: 'Bearer x', 'x-request-id': null, 'x-tag': 'a', 'content-length': null, 'x-absent': null });
  });
});
