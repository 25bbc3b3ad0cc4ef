/**
 * The HTTP host: request ids, the error envelope, module routes and mounts, middleware
 * phases in order, CORS, the body limit, health and readiness.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { defineModule, GatewayError } from '../../src/index.js';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';

let t: TestKernel | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const calls: string[] = [];
const phases = defineModule({
  id: 'phases',
  version: '1.0.0',
  setup(ctx) {
    for (const phase of ['authorize', 'authenticate', 'request', 'observe'] as const) {
      ctx.middleware(phase, async (c, next) => {
        if (c.req.path.startsWith('/v1/modules/phases/')) calls.push(phase);
        await next();
      });
    }
    ctx.routes.get('/ping', (c) => c.json({ pong: true, requestId: c.get('requestId') }));
    ctx.routes.get('/boom', () => {
      throw new Error('secret database password in stack');
    });
    ctx.routes.get('/teapot', () => {
      throw new GatewayError('RATE_LIMITED', 'Slow down.', { headers: { 'Retry-After': '7' } });
    });
    ctx.routes.post('/echo', async (c) => c.json({ size: (await c.req.text()).length }));
    const top = new Hono();
    top.get('/', (c) => c.text('top'));
    top.get('/fail', () => {
      throw new GatewayError('NOT_FOUND', 'nope');
    });
    ctx.mount('/custom/v1', top, {
      renderError: (e) => Response.json({ problem: e.code, msg: e.message }, { status: e.status }),
    });
  },
});

describe('http host', () => {
  it('serves health and readiness', async () => {
    t = await startTestKernel({ modules: [phases] });
    expect((await t.fetch('/health')).status).toBe(200);
    const ready = await t.fetch('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('runs middleware phases in order: observe, request, authenticate, authorize', async () => {
    t = await startTestKernel({ modules: [phases] });
    calls.length = 0;
    const res = await t.fetch('/v1/modules/phases/ping');
    expect(res.status).toBe(200);
    expect(calls).toEqual(['observe', 'request', 'authenticate', 'authorize']);
  });

  it('accepts or generates a request id and echoes it', async () => {
    t = await startTestKernel({ modules: [phases] });
    const given = await t.fetch('/v1/modules/phases/ping', { headers: { 'X-Request-Id': 'abc-123' } });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    expect((await given.json()).requestId).toBe('abc-123');
    const made = await t.fetch('/v1/modules/phases/ping', { headers: { 'X-Request-Id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^req_[0-9A-Z]{26}$/);
  });

  it('renders errors in the envelope without leaking internals', async () => {
    t = await startTestKernel({ modules: [phases] });
    const boom = await t.fetch('/v1/modules/phases/boom', { headers: { 'X-Request-Id': 'r1' } });
    expect(boom.status).toBe(500);
    const text = await boom.text();
    expect(text).not.toContain('secret');
    expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: expect.any(String), request_id: 'r1' } });

    const limited = await t.fetch('/v1/modules/phases/teapot');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await limited.json()).error.code).toBe('RATE_LIMITED');

    const missing = await t.fetch('/nowhere');
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('NOT_FOUND');
  });

  it('lets a mount render its own error shape', async () => {
    t = await startTestKernel({ modules: [phases] });
    expect(await (await t.fetch('/custom/v1')).text()).toBe('top');
    const res = await t.fetch('/custom/v1/fail');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ problem: 'NOT_FOUND', msg: 'nope' });
  });

  it('refuses bodies over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
    t = await startTestKernel({ modules: [phases], kernel: { server: { bodyLimit: 1024 } } });
    const ok = await t.fetch('/v1/modules/phases/echo', { method: 'POST', body: 'x'.repeat(1000) });
    expect(await ok.json()).toEqual({ size: 1000 });
    const big = await t.fetch('/v1/modules/phases/echo', { method: 'POST', body: 'x'.repeat(5000) });
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('counts chunked bodies (no Content-Length) against the limit too', async () => {
    t = await startTestKernel({ modules: [phases], kernel: { server: { bodyLimit: 1024 } } });
    const chunked = (size: number) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let sent = 0; sent < size; sent += 500) controller.enqueue(new TextEncoder().encode('x'.repeat(Math.min(500, size - sent))));
          controller.close();
        },
      });
    const init = (size: number) => ({ method: 'POST', body: chunked(size), duplex: 'half' }) as unknown as Parameters<TestKernel['fetch']>[1];
    const ok = await t.fetch('/v1/modules/phases/echo', init(1000));
    expect(await ok.json()).toEqual({ size: 1000 });
    const big = await t.fetch('/v1/modules/phases/echo', init(5000));
    expect(big.status).toBe(413);
    expect((await big.json()).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers CORS preflight for configured origins only', async () => {
    t = await startTestKernel({ modules: [phases], kernel: { server: { cors: { origins: ['https://app.example'] } } } });
    const pre = await t.fetch('/v1/modules/phases/ping', {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await t.fetch('/v1/modules/phases/ping', { headers: { Origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('fails boot when two modules claim the same mount, naming both', async () => {
    const claim = (id: string) =>
      defineModule({ id, version: '1.0.0', setup: (ctx) => ctx.mount('/metrics', new Hono()) });
    await expect(startTestKernel({ modules: [claim('one'), claim('two')] })).rejects.toThrow(
      /\[ROUTE_MOUNT_COLLISION\] Modules 'one' and 'two' both claim the mount '\/metrics'/,
    );
  });
});
