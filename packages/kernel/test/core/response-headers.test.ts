/**
 * setResponseHeaders: a middleware's headers reach the client whether they are set before or
 * after the handler, whatever response object the handler returns, over node:http (on Node's
 * ServerResponse) and without it (`app.request()`, on `c.res`).
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { setResponseHeaders } from '../../src/index.js';
import { serveApp } from '../helpers/serve-app.js';

function app(): Hono {
  const hono = new Hono();
  hono.use('*', async (c, next) => {
    setResponseHeaders(c, { 'X-Before': 'b' });
    await next();
  });
  hono.use('*', async (c, next) => {
    await next();
    setResponseHeaders(c, { 'X-After': 'a', 'X-Twice': 'middleware' });
  });
  hono.get('/json', (c) => c.json({ ok: true }));
  // A handler's own Response object, with a header of the same name as a middleware's.
  hono.get('/own', () => new Response('own', { status: 201, headers: { 'X-Twice': 'handler', 'content-type': 'text/plain' } }));
  // Response.redirect's headers are immutable.
  hono.get('/redirect', () => Response.redirect('http://127.0.0.1/elsewhere', 302));
  return hono;
}

describe('setResponseHeaders over node:http', () => {
  const served = serveApp(app);

  it('adds the headers set before and after the handler to a plain answer', async () => {
    const res = await fetch(`${served.base()}/json`);
    expect(await res.json()).toEqual({ ok: true });
    expect([res.headers.get('x-before'), res.headers.get('x-after'), res.headers.get('x-twice')]).toEqual(['b', 'a', 'middleware']);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
  });

  it("keeps the handler's own response, whose header of the same name wins", async () => {
    const res = await fetch(`${served.base()}/own`);
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('own');
    expect([res.headers.get('x-before'), res.headers.get('x-after'), res.headers.get('x-twice')]).toEqual(['b', 'a', 'handler']);
  });
});

describe('setResponseHeaders without node:http', () => {
  it('sets the headers on c.res', async () => {
    const res = await app().request('/json');
    expect([res.headers.get('x-before'), res.headers.get('x-after'), res.headers.get('x-twice')]).toEqual(['b', 'a', 'middleware']);
  });

  it('copies a response whose headers are immutable once, then sets them', async () => {
    const res = await app().request('/redirect');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://127.0.0.1/elsewhere');
    expect(res.headers.get('x-after')).toBe('a');
  });
});
