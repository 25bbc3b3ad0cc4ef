/**
 * @module routes
 * hello's HTTP routes, mounted by the kernel at `/v1/modules/hello/`. When the auth plugin
 * is loaded, greeting requires the `hello:greet` permission; without it the route is open,
 * so the module also runs on a bare kernel.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { GatewayError, type ModuleContext } from '@scaigrid/kernel';
import type { Greeter } from './greeter.js';

const NAME = /^[\p{L}\p{N} _-]{1,100}$/u;

export function helloRoutes(greeter: Greeter, redis: ModuleContext['redis'], guard: MiddlewareHandler | undefined): Hono {
  const routes = new Hono();
  const open: MiddlewareHandler = async (_c, next) => next();

  routes.get('/greetings/:name', guard ?? open, async (c) => {
    const name = c.req.param('name');
    if (!NAME.test(name)) throw new GatewayError('VALIDATION_ERROR', 'name must be 1-100 letters, digits, spaces, _ or -.');
    return c.json({ message: await greeter.greet(name) });
  });

  routes.get('/stats', async (c) => {
    const [counted, heard] = await Promise.all([redis.get('stats:greetings'), redis.get('stats:heard')]);
    return c.json({ greetings: Number(counted ?? 0), heard: Number(heard ?? 0) });
  });

  return routes;
}
