/**
 * Node bodies: a response whose body is written straight to node's ServerResponse keeps the
 * status and headers middlewares gave it, streams each write as it happens, falls back to its
 * web stream outside node:http, and sees a client that leaves.
 */
import type { ServerResponse } from 'node:http';
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineModule, nodeBodyResponse } from '../../src/index.js';
import { startTestKernel, type TestKernel } from '@scaigrid/testing';

let release!: () => void;
let gate: Promise<void>;
let sawClientLeave: Promise<boolean>;
let t: TestKernel;

function twoParts(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('first;'));
      controller.enqueue(new TextEncoder().encode('second;'));
      controller.close();
    },
  });
}

const streaming = defineModule({
  id: 'streaming',
  version: '1.0.0',
  setup(ctx) {
    ctx.routes.use('*', async (c, next) => {
      await next();
      c.res.headers.set('x-after', 'set-by-middleware');
    });
    ctx.routes.get('/parts', (c) =>
      nodeBodyResponse(
        c,
        async (out: ServerResponse) => {
          out.write('first;');
          await gate;
          out.end('second;');
        },
        { status: 201, headers: { 'content-type': 'text/plain' } },
        twoParts,
      ),
    );
    ctx.routes.get('/forever', (c) =>
      nodeBodyResponse(
        c,
        async (out: ServerResponse) => {
          let resolveLeft!: (left: boolean) => void;
          sawClientLeave = new Promise((r) => (resolveLeft = r));
          out.write('tick;');
          const left = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), 5000);
            out.once('close', () => {
              clearTimeout(timer);
              resolve(out.destroyed);
            });
          });
          resolveLeft(left);
        },
        { headers: { 'content-type': 'text/plain' } },
        twoParts,
      ),
    );
  },
});

/** A node body no middleware touches, with a header name in mixed case. */
const untouched = defineModule({
  id: 'untouched',
  version: '1.0.0',
  setup(ctx) {
    ctx.routes.get('/body', (c) =>
      nodeBodyResponse(c, async (out: ServerResponse) => void out.end('body;'), { status: 202, headers: { 'content-type': 'text/plain', 'X-Mixed-Case': 'yes' } }, twoParts),
    );
  },
});

beforeAll(async () => {
  gate = new Promise((r) => (release = r));
  t = await startTestKernel({ modules: [streaming, untouched] });
});

/** Status, raw header names and body of a GET over node:http (fetch would lowercase the names). */
function rawGet(path: string): Promise<{ status: number; names: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    request(`${t.url}${path}`, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, names: res.rawHeaders.filter((_, i) => i % 2 === 0), body }));
    })
      .on('error', reject)
      .end();
  });
}
afterAll(async () => t.stop());

it('sends the status and the headers middlewares set, then streams each write at once', async () => {
  const res = await t.fetch('/v1/modules/streaming/parts');
  expect(res.status).toBe(201);
  expect(res.headers.get('x-after')).toBe('set-by-middleware');
  expect(res.headers.get('x-request-id')).toBeTruthy();
  expect(res.headers.has('x-scaigrid-node-body')).toBe(false);
  const reader = res.body!.getReader();
  // The first part arrives while the writer still waits: nothing is held back until the end.
  expect(new TextDecoder().decode((await reader.read()).value)).toBe('first;');
  release();
  let rest = '';
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
  expect(rest).toBe('second;');
});

it("writes the headers as given when no middleware reads them, and the response's own when one does", async () => {
  const plain = await rawGet('/v1/modules/untouched/body');
  expect(plain).toMatchObject({ status: 202, body: 'body;' });
  // As given: no web Headers was made from them (it would have lowercased the name).
  expect(plain.names).toContain('X-Mixed-Case');
  expect(plain.names.map((n) => n.toLowerCase())).not.toContain('x-scaigrid-node-body');
  release();
  const touched = await rawGet('/v1/modules/streaming/parts');
  expect(touched).toMatchObject({ status: 201, body: 'first;second;' });
  expect(touched.names).toEqual(expect.arrayContaining(['content-type', 'x-after']));
  expect(touched.names).not.toContain('x-scaigrid-node-body');
});

it('uses the web-stream body outside node:http (app.request)', async () => {
  const res = await t.kernel.httpApp().request('/v1/modules/streaming/parts', { headers: { authorization: '' } });
  expect(res.status).toBe(201);
  expect(await res.text()).toBe('first;second;');
});

it('lets the writer see a client that leaves', async () => {
  const left = await new Promise<Promise<boolean>>((resolve, reject) => {
    const req = request(`${t.url}/v1/modules/streaming/forever`, (res) => {
      res.once('data', () => {
        req.destroy();
        resolve(sawClientLeave);
      });
    });
    req.on('error', () => undefined);
    req.once('timeout', reject);
    req.end();
  });
  expect(await left).toBe(true);
});
