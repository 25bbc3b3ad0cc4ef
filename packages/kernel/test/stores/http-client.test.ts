import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../src/stores/http-client.js';

describe('createHttpClient', () => {
  let server: Server;
  let base = '';
  let sockets = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/slow') {
        const timer = setTimeout(() => res.end('late'), 2000);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => res.end(JSON.stringify({ method: req.method, url: req.url, body })));
    });
    server.on('connection', () => sockets++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fetches and reuses keep-alive sockets across calls', async () => {
    const http = createHttpClient();
    const before = sockets;
    for (let i = 0; i < 6; i++) {
      const res = await http.fetch(`${base}/echo/${i}`, { method: 'POST', body: `b${i}` });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ method: 'POST', url: `/echo/${i}`, body: `b${i}` });
    }
    // undici hands a socket back to the pool a tick after the body ends, so a call right after may open a
    // second one; without keep-alive every call would open its own.
    expect(sockets - before).toBeLessThanOrEqual(2);
    expect(http.dispatcher).toBeDefined();
    await http.close();
  });

  it('aborts after the client timeout with a TimeoutError', async () => {
    const http = createHttpClient({ timeoutMs: 100 });
    const started = Date.now();
    const error = await http.fetch(`${base}/slow`).catch((e: Error) => e);
    expect((error as Error).name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(1500);
    await http.close();
  });

  it('lets a call override the timeout, and keeps the caller abort distinct from a timeout', async () => {
    const http = createHttpClient({ timeoutMs: 10_000 });
    const timedOut = await http.fetch(`${base}/slow`, { timeoutMs: 50 }).catch((e: Error) => e);
    expect((timedOut as Error).name).toBe('TimeoutError');

    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const aborted = await http.fetch(`${base}/slow`, { signal: controller.signal }).catch((e: Error) => e);
    expect((aborted as Error).name).toBe('AbortError');

    const ok = await http.fetch(`${base}/fast`, { timeoutMs: 0 });
    expect(ok.status).toBe(200);
    await ok.text();
    await http.close();
  });
});
