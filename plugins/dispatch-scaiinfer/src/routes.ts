/**
 * @module routes
 * The nodes admin API at `/v1/admin/scaiinfer/nodes` (needs `admin:access`): list, add
 * (`POST {id, url, models: [{slug, upstreamModel?, weight?, priority?}]}`), remove
 * (`DELETE /:id`). Changes take effect on every instance without a restart.
 */
import { Hono } from 'hono';
import { GatewayError } from '@scaigrid/kernel';
import type { AuthService } from '@scaigrid/plugin-auth';
import type { NodeInput, ScaiInferNodes } from './node-registry.js';

export function nodeAdminRoutes(auth: AuthService, nodes: ScaiInferNodes): Hono {
  const app = new Hono();
  app.use('*', auth.requirePermission('admin:access'));

  app.get('/', (c) => c.json({ data: nodes.list() }));

  app.post('/', async (c) => {
    const body = await c.req.json<NodeInput>().catch(() => {
      throw new GatewayError('VALIDATION_ERROR', 'The request body must be a JSON object (Content-Type: application/json).');
    });
    return c.json(await nodes.add(body), 201);
  });

  app.delete('/:id', async (c) => {
    await nodes.remove(c.req.param('id'));
    return c.body(null, 204);
  });

  return app;
}
