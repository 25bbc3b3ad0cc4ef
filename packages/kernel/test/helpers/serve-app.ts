/**
 * @module test/helpers/serve-app
 * Serves a Hono app over node:http on a loopback port for the tests of one `describe` block
 * (started before them, closed after), where the kernel's http helpers take their node:http path.
 */
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { afterAll, beforeAll } from 'vitest';

/** `base()` is the server's `http://127.0.0.1:<port>` once the block's tests run. */
export function serveApp(app: () => Hono): { base(): string } {
  let server: ServerType | undefined;
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app().fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
        base = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
  });
  afterAll(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));
  return { base: () => base };
}
