/**
 * @module routes
 * The providers admin API at `/v1/admin/providers` (needs `admin:access`). Responses name
 * the credentials' environment variable and whether it is set (`hasApiKey`), never the key.
 */
import { Hono } from 'hono';
import { GatewayError, parseInput, readJson } from '@scaigrid/kernel';
import type { AuthService } from '@scaigrid/plugin-auth';
import type { ProviderAdmin } from './provider-admin.js';
import type { ProviderCatalog } from './provider-catalog.js';
import { providerInputSchema, providerPatchSchema } from './provider-schema.js';

export interface ProviderRoutesDeps {
  auth: AuthService;
  catalog: ProviderCatalog;
  admin: ProviderAdmin;
}

export function providerAdminRoutes({ auth, catalog, admin }: ProviderRoutesDeps): Hono {
  const app = new Hono();
  app.use('*', auth.requirePermission('admin:access'));

  app.get('/', (c) => c.json({ data: catalog.all().map((p) => catalog.view(p)) }));

  app.get('/:id', (c) => {
    const stored = catalog.stored(c.req.param('id'));
    if (!stored) throw new GatewayError('NOT_FOUND', `Provider '${c.req.param('id')}' not found.`);
    return c.json(catalog.view(stored));
  });

  app.post('/', async (c) => {
    const input = parseInput(providerInputSchema, await readJson(c), 'provider');
    return c.json(catalog.view(await admin.create(input)), 201);
  });

  app.patch('/:id', async (c) => {
    const patch = parseInput(providerPatchSchema, await readJson(c), 'provider update');
    return c.json(catalog.view(await admin.update(c.req.param('id'), patch)));
  });

  app.delete('/:id', async (c) => {
    await admin.delete(c.req.param('id'));
    return c.body(null, 204);
  });

  return app;
}
